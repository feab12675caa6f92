import Postgres

/// Reading participations, the deadline's batches and the pickup.
struct ParticipationStore: Sendable {
    /// Participations with their lines (one more query for the lines of all of them).
    func withLines(_ rows: [ParticipationRow], in tx: PostgresTransaction) async throws -> [ParticipationRow] {
        guard !rows.isEmpty else { return [] }
        var lines: [String: [ParticipationRow.Line]] = [:]
        for row in try await tx.query("""
            SELECT participation_id, sku_id, quantity, unit_price_fen FROM participation_lines
            WHERE participation_id = ANY($1::text[]) ORDER BY participation_id, sku_id
            """, [.textArray(rows.map(\.id))]) {
            lines[try row.decode(String.self, column: "participation_id"), default: []].append(
                .init(skuID: try row.decode(String.self, column: "sku_id"), quantity: try row.decode(Int32.self, column: "quantity"),
                      unitPriceFen: try row.decode(Int64.self, column: "unit_price_fen")))
        }
        return rows.map { row in
            var row = row
            row.lines = lines[row.id] ?? []
            return row
        }
    }

    func participation(id: String, in tx: PostgresTransaction) async throws -> ParticipationRow? {
        let rows = try await tx.query("SELECT \(ParticipationRow.columns) FROM participations p WHERE p.id = $1", [.text(id)])
            .map(ParticipationRow.init(row:))
        return try await withLines(rows, in: tx).first
    }

    /// A page by id; `uncollectedBefore` > 0 keeps only orders still uncollected that were
    /// placed by a close before that time.
    func page(campaign: String, after cursor: String, limit: Int, uncollectedBefore: Int64,
              in tx: PostgresTransaction) async throws -> [ParticipationRow] {
        let rows = try await tx.query("""
            SELECT \(ParticipationRow.columns) FROM participations p JOIN campaigns c ON c.id = p.campaign_id
            WHERE p.campaign_id = $1 AND p.id > $2
              AND ($4 = 0 OR (p.state = 'ordered' AND c.closed_at < to_timestamp($4 / 1000.0)))
            ORDER BY p.id LIMIT $3
            """, [.text(campaign), .text(cursor), .int(limit), .int64(uncollectedBefore)]).map(ParticipationRow.init(row:))
        return try await withLines(rows, in: tx)
    }

    /// The next participations of a closed campaign still `joined`, locked for the release.
    func nextJoined(campaign: String, limit: Int, in tx: PostgresTransaction) async throws -> [ParticipationRow] {
        let rows = try await tx.query("""
            SELECT \(ParticipationRow.columns) FROM participations p
            WHERE p.campaign_id = $1 AND p.state = 'joined' ORDER BY p.id LIMIT $2 FOR UPDATE
            """, [.text(campaign), .int(limit)]).map(ParticipationRow.init(row:))
        return try await withLines(rows, in: tx)
    }

    func setStateStatement(ids: [String], state: String, refundDue: Bool) -> PostgresStatement {
        PostgresStatement("UPDATE participations SET state = $2, refund_due = $3 WHERE id = ANY($1::text[])",
                          [.textArray(ids), .text(state), .bool(refundDue)])
    }

    /// The participation a pickup code names in the campaign, locked.
    func lockByCode(campaign: String, code: String, in tx: PostgresTransaction) async throws -> ParticipationRow? {
        let rows = try await tx.query("""
            SELECT \(ParticipationRow.columns) FROM participations p WHERE p.campaign_id = $1 AND p.pickup_code = $2 FOR UPDATE
            """, [.text(campaign), .text(code)]).map(ParticipationRow.init(row:))
        return try await withLines(rows, in: tx).first
    }

    func markCollected(id: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            UPDATE participations SET state = 'collected', collected_at = $3, collected_by = $2 WHERE id = $1
            """, [.text(id), .text(account), .timestampMillis(now)])
    }
}
