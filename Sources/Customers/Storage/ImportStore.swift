import Postgres

/// What a bulk import batch reads back and the statements it adds when needed (rows that lost a
/// phone, look-alikes); the batch's own set-based statements read the COPYed rows
/// (`ImportStaging`; CustomerFlow+Import explains the batch).
struct ImportStore: Sendable {
    struct Row: Sendable {
        var id: String
        var valid: ValidCustomer
    }

    func claimed(from rows: PostgresRows) throws -> Set<String> {
        Set(try rows.map { try $0.decode(String.self, column: "phone") })
    }

    /// Takes back the rows of customers that lost a phone to someone else.
    func remove(_ ids: [String], in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("DELETE FROM customer_phones WHERE customer_id = ANY($1::text[])", [.textArray(ids)]),
            PostgresStatement("DELETE FROM customers WHERE id = ANY($1::text[])", [.textArray(ids)]),
        ])
    }

    func referrals(from rows: PostgresRows) throws -> [(phone: String, referral: ReferralStore.Referral)] {
        try rows.map { row in
            (try row.decode(String.self, column: "phone"),
             ReferralStore.Referral(intermediary: try row.decode(column: "intermediary_account_id"), orderID: try row.decode(column: "order_id"),
                                    atMillis: try row.decode(column: "seen_at")))
        }
    }

    struct Pair: Sendable, Equatable {
        var customerID: String
        var similarID: String
        var reason: String
    }

    func pairs(from rows: PostgresRows) throws -> [Pair] {
        try rows.map { Pair(customerID: try $0.decode(column: "customer_id"), similarID: try $0.decode(column: "similar_id"),
                            reason: try $0.decode(column: "reason")) }
    }

    func flag(_ pairs: [Pair], ids: [String], team: String, at: Int64, in tx: PostgresTransaction) async throws -> Int {
        try await tx.execute("""
            INSERT INTO near_duplicates (id, team_path, customer_id, similar_customer_id, reason, created_at)
            SELECT t.id, $1, t.customer_id, t.similar_id, t.reason, $6
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, customer_id, similar_id, reason)
            ON CONFLICT (customer_id, similar_customer_id) DO NOTHING
            """, [.text(team), .textArray(ids), .textArray(pairs.map(\.customerID)), .textArray(pairs.map(\.similarID)),
                  .textArray(pairs.map(\.reason)), .timestampMillis(at)])
    }
}
