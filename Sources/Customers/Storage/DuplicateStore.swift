import Messages
import Postgres

/// Near-duplicate candidates and flags (`near_duplicates`).
struct DuplicateStore: Sendable {
    struct Candidate: Sendable, Equatable {
        var customerID: String
        var reason: String
    }

    /// Live customers of `team` (other than `exclude`) with the same name and address keys, or
    /// holding a phone one transposition away from one of `phones`. Both lookups are index
    /// scans: (team_path, name_key, address_key) and the phone primary key.
    func candidates(team: String, nameKey: String, addressKey: String, phones: [String], exclude: String,
                    in tx: PostgresTransaction) async throws -> [Candidate] {
        try candidates(from: try await tx.run([candidatesStatement(team: team, nameKey: nameKey, addressKey: addressKey,
                                                                    phones: phones, exclude: exclude)])[0])
    }

    func candidatesStatement(team: String, nameKey: String, addressKey: String, phones: [String], exclude: String) -> PostgresStatement {
        let transposed = phones.flatMap(NearDuplicateRules.transpositions(of:))
        return PostgresStatement("""
            SELECT c.id, 'same_name_address' AS reason, c.created_at FROM customers c
            WHERE c.team_path = $1 AND c.name_key = $2 AND c.address_key = $3 AND c.merged_into IS NULL AND c.id <> $4
            UNION
            SELECT c.id, 'phone_transposition', c.created_at FROM customer_phones p JOIN customers c ON c.id = p.customer_id
            WHERE p.phone = ANY($5::text[]) AND c.team_path = $1 AND c.merged_into IS NULL AND c.id <> $4
            ORDER BY 3, 1 LIMIT 20
            """, [.text(team), .text(nameKey), .text(addressKey), .text(exclude), .text(NearDuplicateRules.arrayLiteral(transposed))])
    }

    func candidates(from rows: PostgresRows) throws -> [Candidate] {
        var found: [Candidate] = []
        for row in rows {
            let id: String = try row.decode(column: "id")
            if !found.contains(where: { $0.customerID == id }) { found.append(Candidate(customerID: id, reason: try row.decode(column: "reason"))) }
        }
        return found
    }

    /// Flags `customerID` as resembling `similar`; nothing when that pair is flagged already.
    func flag(id: String, team: String, customerID: String, similar: String, reason: String, at: Int64,
              in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO near_duplicates (id, team_path, customer_id, similar_customer_id, reason, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, similar_customer_id) DO NOTHING
            """, [.text(id), .text(team), .text(customerID), .text(similar), .text(reason), .timestampMillis(at)]) == 1
    }

    static let columns = "d.id, d.customer_id, d.similar_customer_id, d.reason, d.state, d.created_at, d.team_path"

    func list(team: String, includeClosed: Bool, after cursor: PageCursor?, limit: Int, pool: PostgresPool) async throws -> [Xsc_Customers_V1_NearDuplicate] {
        try await pool.query("""
            SELECT \(Self.columns) FROM near_duplicates d
            WHERE d.team_path = $1 AND ($2 OR d.state = 'open')
              AND ($3::timestamptz IS NULL OR (d.created_at, d.id) < ($3::timestamptz, $4))
            ORDER BY d.created_at DESC, d.id DESC LIMIT $5
            """, [.text(team), .bool(includeClosed), cursor.map { .timestampMillis($0.millis) } ?? .null, .text(cursor?.id ?? ""),
                  .int(limit)]).map { try Self.flag($0).flag }
    }

    func load(_ id: String, in tx: PostgresTransaction) async throws -> (flag: Xsc_Customers_V1_NearDuplicate, team: String)? {
        guard CustomerStore.isPlausibleID(id) else { return nil }
        return try await tx.query("SELECT \(Self.columns) FROM near_duplicates d WHERE d.id = $1 FOR UPDATE", [.text(id)])
            .first.map(Self.flag)
    }

    func close(_ id: String, state: String, by actor: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE near_duplicates SET state = $2, closed_by = $3 WHERE id = $1 AND state = 'open'",
                                 [.text(id), .text(state), .text(actor)])
    }

    /// Every open flag between the two merged customers closes as merged; flags naming the
    /// merged one with a third customer now name the survivor (or close when that makes a
    /// flag of the survivor with itself).
    func afterMerge(loser: String, survivor: String, by actor: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("""
                UPDATE near_duplicates SET state = 'merged', closed_by = $3
                WHERE state = 'open' AND ((customer_id = $1 AND similar_customer_id = $2) OR (customer_id = $2 AND similar_customer_id = $1))
                """, [.text(loser), .text(survivor), .text(actor)]),
            PostgresStatement("""
                UPDATE near_duplicates SET state = 'merged', closed_by = $2 WHERE state = 'open' AND (customer_id = $1 OR similar_customer_id = $1)
                """, [.text(loser), .text(actor)]),
        ])
    }

    static func flag(_ row: PostgresRow) throws -> (flag: Xsc_Customers_V1_NearDuplicate, team: String) {
        var flag = Xsc_Customers_V1_NearDuplicate()
        flag.id = try row.decode(column: "id")
        flag.customerId = try row.decode(column: "customer_id")
        flag.similarCustomerId = try row.decode(column: "similar_customer_id")
        flag.reason = try row.decode(column: "reason")
        flag.state = try row.decode(column: "state")
        flag.createdAtMs = try row.decode(column: "created_at")
        return (flag, try row.decode(column: "team_path"))
    }
}
