import Postgres

/// Set-based statements of a bulk import batch: many customers per statement instead of one
/// transaction per row (CustomerFlow+Import explains the batch).
struct ImportStore: Sendable {
    struct Row: Sendable {
        var id: String
        var valid: ValidCustomer
    }

    /// Inserts every row's customer (owner, team, creator and time shared).
    func insertCustomersStatement(_ rows: [Row], owner: String, team: String, origin: String, at: Int64) -> PostgresStatement {
        let sep = CustomerRecord.separator
        let v = rows.map(\.valid)
        return PostgresStatement("""
            INSERT INTO customers (id, name, name_key, address, address_key, district_id, kind,
                decision_maker_name, decision_maker_phone, decision_maker_notes, purchaser_name, purchaser_phone, purchaser_notes,
                grade, tags, phones, owner_account_id, team_path, created_by, origin, created_at, updated_at)
            SELECT t.id, t.name, t.name_key, t.address, t.address_key, t.district, t.kind, t.dm_name, t.dm_phone, t.dm_notes,
                   t.p_name, t.p_phone, t.p_notes, t.grade, string_to_array(t.tags, E'\\x1f'), string_to_array(t.phones, E'\\x1f'),
                   $17, $18, $17, $19, $20, $20
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[],
                        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[], $15::text[], $16::text[])
                 AS t(id, name, name_key, address, address_key, district, kind, dm_name, dm_phone, dm_notes, p_name, p_phone,
                      p_notes, grade, tags, phones)
            """, [.textArray(rows.map(\.id)), .textArray(v.map(\.name)), .textArray(v.map(\.nameKey)), .textArray(v.map(\.address)),
                  .textArray(v.map(\.addressKey)), .textArray(v.map(\.districtID)), .integerArray(v.map(\.kind)),
                  .textArray(v.map(\.decisionMaker.name)), .textArray(v.map(\.decisionMaker.phone)), .textArray(v.map(\.decisionMaker.notes)),
                  .textArray(v.map(\.purchaser.name)), .textArray(v.map(\.purchaser.phone)), .textArray(v.map(\.purchaser.notes)),
                  .integerArray(v.map(\.grade)), .textArray(v.map { $0.tags.joined(separator: sep) }),
                  .textArray(v.map { $0.phones.map(\.digits).joined(separator: sep) }),
                  .text(owner), .text(team), .text(origin), .timestampMillis(at)])
    }

    /// Inserts every phone row that is still free, returning the phones taken by this batch
    /// (`claimed(from:)`). A phone someone holds (or is inserting: the unique index waits for
    /// them) is skipped.
    func claimPhonesStatement(_ rows: [Row]) -> PostgresStatement {
        var phones: [String] = [], owners: [String] = [], kinds: [String] = []
        for row in rows {
            for phone in row.valid.phones {
                phones.append(phone.digits)
                owners.append(row.id)
                kinds.append(phone.isMobile ? "mobile" : "landline")
            }
        }
        return PostgresStatement("""
            INSERT INTO customer_phones (phone, customer_id, kind)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(phone, customer_id, kind) ORDER BY 1
            ON CONFLICT (phone) DO NOTHING RETURNING phone
            """, [.textArray(phones), .textArray(owners), .textArray(kinds)])
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

    /// Unclaimed referrals of the batch's phones, removed (their customers adopt them): only of
    /// phones a row of the batch (`ids`) now holds together with all its other phones. Runs
    /// after `claimPhonesStatement` in the same pipeline, before the rows that lost a phone are
    /// taken back, so it tells winners from losers itself: a loser's free phone keeps its
    /// referral for whoever registers it. The check is a scalar subquery on purpose: it runs
    /// only for the few waiting referrals found by phone, where a join let the planner start
    /// from the batch's thousand customers instead (a second per batch).
    func claimReferralsStatement(phones: [String], ids: [String]) -> PostgresStatement {
        PostgresStatement("""
            DELETE FROM unclaimed_referrals u
            WHERE u.phone = ANY($1::text[])
              AND (SELECT c.id = ANY($2::text[])
                          AND NOT EXISTS (SELECT 1 FROM unnest(c.phones) AS x(phone)
                                          WHERE NOT EXISTS (SELECT 1 FROM customer_phones q WHERE q.phone = x.phone AND q.customer_id = c.id))
                   FROM customer_phones p JOIN customers c ON c.id = p.customer_id WHERE p.phone = u.phone)
            RETURNING u.phone, u.intermediary_account_id, u.order_id, u.seen_at
            """, [.textArray(phones), .textArray(ids)])
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

    /// Near-duplicates of the batch's customers in `team` (the batch's own customers included),
    /// read with `pairs(from:)`.
    func nearDuplicatesStatement(_ rows: [Row], team: String) -> PostgresStatement {
        var tIDs: [String] = [], tPhones: [String] = []
        for row in rows {
            for phone in row.valid.phones {
                for swapped in NearDuplicateRules.transpositions(of: phone.digits) {
                    tIDs.append(row.id)
                    tPhones.append(swapped)
                }
            }
        }
        return PostgresStatement("""
            SELECT b.id AS customer_id, c.id AS similar_id, 'same_name_address' AS reason
            FROM unnest($2::text[], $3::text[], $4::text[]) AS b(id, name_key, address_key)
            JOIN customers c ON c.team_path = $1 AND c.name_key = b.name_key AND c.address_key = b.address_key
                AND c.merged_into IS NULL AND c.id <> b.id
            UNION
            SELECT b.id, c.id, 'phone_transposition'
            FROM unnest($5::text[], $6::text[]) AS b(id, phone)
            JOIN customer_phones p ON p.phone = b.phone
            JOIN customers c ON c.id = p.customer_id AND c.team_path = $1 AND c.merged_into IS NULL AND c.id <> b.id
            """, [.text(team), .textArray(rows.map(\.id)), .textArray(rows.map(\.valid.nameKey)), .textArray(rows.map(\.valid.addressKey)),
                  .textArray(tIDs), .textArray(tPhones)])
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
