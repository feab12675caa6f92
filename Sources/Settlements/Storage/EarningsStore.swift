import Postgres

/// A payee's own lines and their totals by state (pending: open or on a draft statement;
/// approved: on a signed one; paid: paid or archived).
struct EarningsStore: Sendable {
    func totals(payee: String, in tx: PostgresTransaction) async throws -> (pending: Int64, approved: Int64, paid: Int64) {
        let rows = try await tx.query("""
            SELECT coalesce(s.state, 'open') AS state, sum(l.amount_fen)::bigint AS total
            FROM reward_lines l LEFT JOIN statements s ON \(LineRow.statementJoin)
            WHERE l.payee_account_id = $1 AND l.kind <> 'carry_forward' GROUP BY 1
            """, [.text(payee)])
        var totals: (pending: Int64, approved: Int64, paid: Int64) = (0, 0, 0)
        for row in rows {
            let amount = try row.decode(Int64.self, column: "total")
            switch try row.decode(String.self, column: "state") {
            case "signed": totals.approved += amount
            case "paid", "archived": totals.paid += amount
            default: totals.pending += amount
            }
        }
        return totals
    }

    /// Newest first; after the line (occurred_at, id) of `after` when given.
    func lines(payee: String, limit: Int, after: (millis: Int64, id: String)?, in tx: PostgresTransaction) async throws -> [LineRow] {
        try await tx.query("""
            SELECT \(LineRow.columns) FROM reward_lines l LEFT JOIN statements s ON \(LineRow.statementJoin)
            WHERE l.payee_account_id = $1 AND l.kind <> 'carry_forward' AND (NOT $3 OR (l.occurred_at, l.id) < ($4, $5))
            ORDER BY l.occurred_at DESC, l.id DESC LIMIT $2
            """, [.text(payee), .int(limit), .bool(after != nil), .timestampMillis(after?.millis ?? 0), .text(after?.id ?? "")])
            .map(LineRow.init(row:))
    }
}
