import Messages
import Postgres

/// The append-only audit trail (`audit_entries`): transfers, merges, refused duplicates.
struct AuditStore: Sendable {
    /// Appends an entry; false when `dedupeKey` was recorded before (nothing added).
    @discardableResult
    func record(id: String, team: String, kind: String, customerID: String, actor: String, actorTeam: String = "",
                detail: String, at: Int64, dedupeKey: String? = nil, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO audit_entries (id, team_path, kind, customer_id, actor_account_id, actor_team_path, detail, at, dedupe_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
            """, [.text(id), .text(team), .text(kind), .text(customerID), .text(actor), .text(actorTeam), .text(detail),
                  .timestampMillis(at), dedupeKey.map { .text($0) } ?? .null]) == 1
    }

    func list(team: String, kind: String, after cursor: PageCursor?, limit: Int, pool: PostgresPool) async throws -> [Xsc_Customers_V1_AuditEntry] {
        try await pool.query("""
            SELECT a.id, a.kind, a.customer_id, a.actor_account_id, a.detail, a.at FROM audit_entries a
            WHERE a.team_path = $1 AND ($2 = '' OR a.kind = $2)
              AND ($3::timestamptz IS NULL OR (a.at, a.id) < ($3::timestamptz, $4))
            ORDER BY a.at DESC, a.id DESC LIMIT $5
            """, [.text(team), .text(kind), cursor.map { .timestampMillis($0.millis) } ?? .null, .text(cursor?.id ?? ""), .int(limit)])
            .map { row in
                var entry = Xsc_Customers_V1_AuditEntry()
                entry.id = try row.decode(column: "id")
                entry.kind = try row.decode(column: "kind")
                entry.customerId = try row.decode(column: "customer_id")
                entry.actorAccountId = try row.decode(column: "actor_account_id")
                entry.detail = try row.decode(column: "detail")
                entry.atMs = try row.decode(column: "at")
                return entry
            }
    }
}
