import Postgres

/// What a bulk import batch reads back and the statements it adds when needed (look-alikes);
/// the batch's own set-based statements read the COPYed rows (`ImportStaging`;
/// CustomerFlow+Import explains the batch).
struct ImportStore: Sendable {
    struct Row: Sendable {
        var id: String
        var valid: ValidCustomer
    }

    /// A live customer holding a phone of a staged row that lost it (`ImportStaging.markLostStatement`).
    struct Holder: Sendable, Equatable {
        var id: String
        var ownerAccountID: String
        var teamPath: String
        var phones: [String]
    }

    /// The holders of each losing row's phones, by row id (a row whose phone's holder could not
    /// be read, e.g. merged meanwhile, has none and takes the single-row path).
    func held(from rows: PostgresRows) throws -> [String: [Holder]] {
        var held: [String: [Holder]] = [:]
        for row in rows {
            let id: String = try row.decode(column: "row_id")
            guard let holderID = try row.decode(String?.self, column: "holder_id") else {
                held[id, default: []] = held[id] ?? []
                continue
            }
            let holder = Holder(id: holderID, ownerAccountID: try row.decode(column: "owner_account_id"),
                                teamPath: try row.decode(column: "team_path"),
                                phones: CustomerRecord.split(try row.decode(column: "holder_phones")))
            if !(held[id]?.contains(holder) ?? false) { held[id, default: []].append(holder) }
        }
        return held
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
