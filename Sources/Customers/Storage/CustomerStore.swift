import Postgres

/// Every SQL statement on `customers` and `customer_phones`.
struct CustomerStore: Sendable {
    /// The unique index that enforces first-creator ownership (migration 0002).
    static let phoneConstraint = "customer_phones_pkey"

    static func isPhoneTaken(_ error: Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUniqueViolation && error.constraint == phoneConstraint
    }

    struct NewCustomer: Sendable {
        var id: String
        var valid: ValidCustomer
        var owner: String
        var teamPath: String
        var createdBy: String
        var origin: String
        var at: Int64
    }

    /// Generic plans for the rest of the transaction (SET LOCAL plan_cache_mode). The near-duplicate
    /// lookup and the referral claim are point lookups whose custom plans PostgreSQL estimates a
    /// little cheaper than the generic ones (they see how many phones the array holds), so it
    /// re-planned them on every registration: about 0.25 ms of planning per call for the same
    /// plan (pg_stat_statements, bench/customers.sh --statements). The first statement of a
    /// registration's pipeline; the setting ends with the transaction.
    static let genericPlansStatement = PostgresStatement("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")

    /// Inserts the customer and its phones; fails with a unique violation on
    /// `customer_phones_pkey` when any phone is anyone's already.
    func insert(_ new: NewCustomer, in tx: PostgresTransaction) async throws -> CustomerRecord {
        let rows = try await tx.run([insertStatement(new), insertPhonesStatement(customerID: new.id, phones: new.valid.phones)])
        return try CustomerRecord(row: rows[0][0])
    }

    /// The customer's INSERT ... RETURNING its columns (its phone rows are `insertPhonesStatement`);
    /// without `returning`, nothing comes back (the one-round-trip path made the record itself:
    /// `CustomerRecord(new:)`), which spares reading and decoding the row's 26 columns.
    func insertStatement(_ new: NewCustomer, returning: Bool = true) -> PostgresStatement {
        let valid = new.valid
        let sep = CustomerRecord.separator
        return PostgresStatement("""
                INSERT INTO customers AS c (id, name, name_key, address, address_key, district_id, kind,
                    decision_maker_name, decision_maker_phone, decision_maker_notes, purchaser_name, purchaser_phone, purchaser_notes,
                    grade, tags, phones, owner_account_id, team_path, created_by, origin, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, string_to_array($15, E'\\x1f'),
                        string_to_array($16, E'\\x1f'), $17, $18, $19, $20, $21, $21)
                \(returning ? "RETURNING " + CustomerRecord.columns : "")
                """, [.text(new.id), .text(valid.name), .text(valid.nameKey), .text(valid.address), .text(valid.addressKey),
                      .text(valid.districtID), .int32(valid.kind), .text(valid.decisionMaker.name), .text(valid.decisionMaker.phone),
                      .text(valid.decisionMaker.notes), .text(valid.purchaser.name), .text(valid.purchaser.phone),
                      .text(valid.purchaser.notes), .int32(valid.grade), .text(valid.tags.joined(separator: sep)),
                      .text(valid.phones.map(\.digits).joined(separator: sep)), .text(new.owner), .text(new.teamPath),
                      .text(new.createdBy), .text(new.origin), .timestampMillis(new.at)])
    }

    func insertPhonesStatement(customerID: String, phones: [ValidCustomer.Phone]) -> PostgresStatement {
        let sep = CustomerRecord.separator
        return PostgresStatement("""
            INSERT INTO customer_phones (phone, customer_id, kind)
            SELECT p, $2, k FROM unnest(string_to_array($1, E'\\x1f'), string_to_array($3, E'\\x1f')) AS t(p, k)
            ORDER BY p
            """, [.text(phones.map(\.digits).joined(separator: sep)), .text(customerID),
                  .text(phones.map { $0.isMobile ? "mobile" : "landline" }.joined(separator: sep))])
    }

    /// A live (not merged) customer by id, whatever its team: callers check the team.
    func load(_ id: String, forUpdate: Bool = false, in tx: PostgresTransaction) async throws -> CustomerRecord? {
        guard Self.isPlausibleID(id) else { return nil }
        let sql = forUpdate
            ? "SELECT \(CustomerRecord.columns) FROM customers c WHERE c.id = $1 AND c.merged_into IS NULL FOR UPDATE"
            : "SELECT \(CustomerRecord.columns) FROM customers c WHERE c.id = $1 AND c.merged_into IS NULL"
        return try await tx.query(sql, [.text(id)]).first.map(CustomerRecord.init(row:))
    }

    func load(_ id: String, pool: PostgresPool) async throws -> CustomerRecord? {
        guard Self.isPlausibleID(id) else { return nil }
        return try await pool.query("SELECT \(CustomerRecord.columns) FROM customers c WHERE c.id = $1 AND c.merged_into IS NULL",
                                    [.text(id)]).first.map(CustomerRecord.init(row:))
    }

    /// The live customers holding any of `phones` (normally one), oldest first.
    func holders(of phones: [String], forUpdate: Bool = false, in tx: PostgresTransaction) async throws -> [CustomerRecord] {
        let rows = try await tx.query("""
            SELECT \(CustomerRecord.columns) FROM customers c
            WHERE c.id IN (SELECT customer_id FROM customer_phones WHERE phone = ANY(string_to_array($1, E'\\x1f')))
              AND c.merged_into IS NULL
            ORDER BY c.created_at, c.id
            \(forUpdate ? "FOR UPDATE" : "")
            """, [.text(phones.joined(separator: CustomerRecord.separator))])
        return try rows.map(CustomerRecord.init(row:))
    }

    /// Replaces the editable fields and the phone rows; a phone now someone else's fails
    /// with the unique violation of `customer_phones_pkey`.
    func update(_ id: String, with valid: ValidCustomer, at: Int64, in tx: PostgresTransaction) async throws -> CustomerRecord {
        let sep = CustomerRecord.separator
        let rows = try await tx.run([
            PostgresStatement("DELETE FROM customer_phones WHERE customer_id = $1", [.text(id)]),
            insertPhonesStatement(customerID: id, phones: valid.phones),
            PostgresStatement("""
                UPDATE customers AS c SET name = $2, name_key = $3, address = $4, address_key = $5, district_id = $6, kind = $7,
                    decision_maker_name = $8, decision_maker_phone = $9, decision_maker_notes = $10, purchaser_name = $11,
                    purchaser_phone = $12, purchaser_notes = $13, grade = $14, tags = string_to_array($15, E'\\x1f'),
                    phones = string_to_array($16, E'\\x1f'), version = c.version + 1, updated_at = $17
                WHERE c.id = $1
                RETURNING \(CustomerRecord.columns)
                """, [.text(id), .text(valid.name), .text(valid.nameKey), .text(valid.address), .text(valid.addressKey),
                      .text(valid.districtID), .int32(valid.kind), .text(valid.decisionMaker.name), .text(valid.decisionMaker.phone),
                      .text(valid.decisionMaker.notes), .text(valid.purchaser.name), .text(valid.purchaser.phone),
                      .text(valid.purchaser.notes), .int32(valid.grade), .text(valid.tags.joined(separator: sep)),
                      .text(valid.phones.map(\.digits).joined(separator: sep)), .timestampMillis(at)]),
        ])
        return try CustomerRecord(row: rows[2][0])
    }

    func setOwner(_ id: String, owner: String, at: Int64, in tx: PostgresTransaction) async throws -> CustomerRecord {
        try CustomerRecord(row: try await tx.query("""
            UPDATE customers AS c SET owner_account_id = $2, version = c.version + 1, updated_at = $3 WHERE c.id = $1
            RETURNING \(CustomerRecord.columns)
            """, [.text(id), .text(owner), .timestampMillis(at)])[0])
    }

    /// Moves every live customer of `from` in `team` to `to`; returns their ids.
    func transferAll(team: String, from: String, to: String, at: Int64, in tx: PostgresTransaction) async throws -> [String] {
        try await tx.query("""
            UPDATE customers AS c SET owner_account_id = $3, version = c.version + 1, updated_at = $4
            WHERE c.team_path = $1 AND c.owner_account_id = $2 AND c.merged_into IS NULL
            RETURNING c.id
            """, [.text(team), .text(from), .text(to), .timestampMillis(at)]).map { try $0.decode(String.self, column: "id") }
    }

    /// Binds the customer unless it is bound already (permanent: the first binding stays).
    /// "First" is by the time of the order: an order's referral that happened before the one
    /// an order-made binding came from (its event was delivered late) takes its place; a
    /// manual binding never changes. Returns the customer as it is afterwards.
    func bindIfUnbound(_ id: String, intermediary: String, source: String, orderID: String, at: Int64,
                       in tx: PostgresTransaction) async throws -> (CustomerRecord, bound: Bool) {
        let rows = try await tx.query("""
            UPDATE customers AS c SET bound_intermediary = $2, bound_at = $3, bound_source = $4, bound_order_id = $5,
                version = c.version + 1, updated_at = $3
            WHERE c.id = $1 AND (c.bound_intermediary = ''
                OR ($4 = 'order' AND c.bound_source = 'order' AND c.bound_at > $3 AND c.bound_intermediary <> $2))
            RETURNING \(CustomerRecord.columns)
            """, [.text(id), .text(intermediary), .timestampMillis(at), .text(source), .text(orderID)])
        if let row = rows.first { return (try CustomerRecord(row: row), true) }
        guard let current = try await load(id, in: tx) else { throw PostgresError(.usage, "customer \(id) vanished") }
        return (current, false)
    }

    func setNextFollowUp(_ id: String, at due: Int64?, now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            UPDATE customers AS c SET next_follow_up_at = $2, updated_at = $3, version = c.version + 1 WHERE c.id = $1
            """, [.text(id), due.map { .timestampMillis($0) } ?? .null, .timestampMillis(now)])
    }

    /// Ids are UUIDs we made: anything else cannot name a customer (and must not reach SQL as a
    /// surprise: it is answered NOT_FOUND like any missing id).
    static func isPlausibleID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}

extension CustomerStore {
    /// The row work of a merge: the loser's phone rows now point at the survivor, which takes
    /// the combined phones, tags, binding and next follow-up; the loser is marked merged.
    func absorb(survivor: String, loser: String, phones: [String], tags: [String], binding: CustomerRecord, nextFollowUpAt: Int64?,
                at now: Int64, in tx: PostgresTransaction) async throws -> CustomerRecord {
        let sep = CustomerRecord.separator
        let results = try await tx.run([
            PostgresStatement("UPDATE customer_phones SET customer_id = $2 WHERE customer_id = $1", [.text(loser), .text(survivor)]),
            PostgresStatement("""
                UPDATE customers SET merged_into = $2, updated_at = $3, version = version + 1 WHERE id = $1
                """, [.text(loser), .text(survivor), .timestampMillis(now)]),
            PostgresStatement("""
                UPDATE customers AS c SET phones = string_to_array($2, E'\\x1f'), tags = string_to_array($3, E'\\x1f'),
                    bound_intermediary = $4, bound_at = $5, bound_source = $6, bound_order_id = $7, next_follow_up_at = $8,
                    version = c.version + 1, updated_at = $9
                WHERE c.id = $1
                RETURNING \(CustomerRecord.columns)
                """, [.text(survivor), .text(phones.joined(separator: sep)), .text(tags.joined(separator: sep)),
                      .text(binding.boundIntermediary), binding.boundIntermediary.isEmpty ? .null : .timestampMillis(binding.boundAtMillis),
                      .text(binding.boundSource), .text(binding.boundOrderID), nextFollowUpAt.map { .timestampMillis($0) } ?? .null,
                      .timestampMillis(now)]),
        ])
        return try CustomerRecord(row: results[2][0])
    }
}
