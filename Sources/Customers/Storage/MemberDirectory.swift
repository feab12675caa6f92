import Messages
import Postgres

/// The people of the organisation as the gateway's directory feed describes them. The one
/// file to switch to ServiceKitStore's `AccountDirectory` (xsc_directory) when it lands.
struct MemberDirectory: Sendable {
    struct Member: Sendable, Equatable {
        var accountID: String
        var name: String
        var domainRole: String
        var nodePath: String
        var enabled: Bool
    }

    /// Stores an entry newer than the one held; false when it was not newer.
    func apply(_ entry: Xsc_Common_V1_DirectoryEntry, pool: PostgresPool) async throws -> Bool {
        try await pool.execute("""
            INSERT INTO directory_entries (account_id, name, domain_role, node_path, enabled, version)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, domain_role = EXCLUDED.domain_role,
                node_path = EXCLUDED.node_path, enabled = EXCLUDED.enabled, version = EXCLUDED.version
            WHERE directory_entries.version < EXCLUDED.version
            """, [.text(entry.accountId), .text(entry.name), .text(entry.domainRole), .text(entry.nodePath), .bool(entry.enabled),
                  .int64(entry.version)]) == 1
    }

    func members(_ accountIDs: [String], in tx: PostgresTransaction) async throws -> [Member] {
        try await tx.query("""
            SELECT account_id, name, domain_role, node_path, enabled FROM directory_entries
            WHERE account_id = ANY(string_to_array($1, E'\\x1f'))
            """, [.text(accountIDs.joined(separator: CustomerRecord.separator))]).map(Self.member)
    }

    /// Enabled accounts hanging exactly on `node` with `role`.
    func members(onNode node: String, role: String, in tx: PostgresTransaction) async throws -> [Member] {
        try await tx.query("""
            SELECT account_id, name, domain_role, node_path, enabled FROM directory_entries
            WHERE node_path = $1 AND domain_role = $2 AND enabled ORDER BY account_id
            """, [.text(node), .text(role)]).map(Self.member)
    }

    static func member(_ row: PostgresRow) throws -> Member {
        Member(accountID: try row.decode(column: "account_id"), name: try row.decode(column: "name"),
               domainRole: try row.decode(column: "domain_role"), nodePath: try row.decode(column: "node_path"),
               enabled: try row.decode(column: "enabled"))
    }
}
