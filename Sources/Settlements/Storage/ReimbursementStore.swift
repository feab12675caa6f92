import Postgres

/// Promotion advances (visited promotion-expense orders) and their quarterly reimbursement.
struct ReimbursementStore: Sendable {
    func recordAdvance(orderID: String, orderCode: String, region: String, plan: String, quarter: String, amountFen: Int64,
                       visitedAt: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            INSERT INTO promotion_advances (order_id, kind, order_code, region_id, promotion_plan_id, quarter, amount_fen, visited_at)
            VALUES ($1, 'advance', $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """, [.text(orderID), .text(orderCode), .text(region), .text(plan), .text(quarter), .int64(amountFen),
                  .timestampMillis(visitedAt)])
    }

    /// A refunded advance is no longer owed; one already reimbursed comes back as a negative
    /// advance in the quarter of the refund.
    func refundAdvance(orderID: String, at millis: Int64, quarter: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("""
                INSERT INTO promotion_advances (order_id, kind, order_code, region_id, promotion_plan_id, quarter, amount_fen,
                    visited_at, refunded_at)
                SELECT order_id, 'refund', order_code, region_id, promotion_plan_id, $3, -amount_fen, visited_at, $2
                FROM promotion_advances WHERE order_id = $1 AND kind = 'advance' AND reimbursement_id IS NOT NULL
                ON CONFLICT DO NOTHING
                """, [.text(orderID), .timestampMillis(millis), .text(quarter)]),
            PostgresStatement("""
                UPDATE promotion_advances SET refunded_at = $2
                WHERE order_id = $1 AND kind = 'advance' AND reimbursement_id IS NULL AND refunded_at IS NULL
                """, [.text(orderID), .timestampMillis(millis)]),
        ])
    }

    /// One reimbursement per region for the quarter's standing advances; nil when closed before.
    func close(quarter: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws -> Bool {
        let claimed = try await tx.query("""
            INSERT INTO quarter_closes (quarter, closed_at, closed_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1
            """, [.text(quarter), .timestampMillis(now), .text(account)])
        guard !claimed.isEmpty else { return false }
        _ = try await tx.run([
            PostgresStatement("""
                INSERT INTO reimbursements (id, region_id, quarter, total_fen, order_count, state, created_at)
                SELECT gen_random_uuid()::text, region_id, $1, sum(amount_fen), count(*), 'draft', $2
                FROM promotion_advances WHERE quarter = $1 AND (refunded_at IS NULL OR kind = 'refund') AND reimbursement_id IS NULL
                GROUP BY region_id
                """, [.text(quarter), .timestampMillis(now)]),
            PostgresStatement("""
                UPDATE promotion_advances a SET reimbursement_id = r.id FROM reimbursements r
                WHERE a.quarter = $1 AND (a.refunded_at IS NULL OR a.kind = 'refund') AND a.reimbursement_id IS NULL AND r.quarter = $1 AND r.region_id = a.region_id
                """, [.text(quarter)]),
        ])
        return true
    }

    func list(quarter: String, region: String, in tx: PostgresTransaction) async throws -> [ReimbursementRow] {
        try await tx.query("""
            SELECT \(ReimbursementRow.columns) FROM reimbursements WHERE ($1 = '' OR quarter = $1) AND region_id = $2
            ORDER BY quarter DESC
            """, [.text(quarter), .text(region)]).map(ReimbursementRow.init(row:))
    }

    func load(_ id: String, in tx: PostgresTransaction) async throws -> ReimbursementRow? {
        try await tx.query("SELECT \(ReimbursementRow.columns) FROM reimbursements WHERE id = $1 FOR UPDATE", [.text(id)])
            .first.map(ReimbursementRow.init(row:))
    }

    func sign(_ id: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE reimbursements SET state = 'signed', signed_by = $2, signed_at = $3 WHERE id = $1 AND state = 'draft'",
                                 [.text(id), .text(account), .timestampMillis(now)])
    }

    func recordPayment(_ id: String, reference: String, paidOn: Int64, by account: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            UPDATE reimbursements SET state = 'paid', payment_reference = $2, paid_on = $3, paid_recorded_by = $4
            WHERE id = $1 AND state = 'signed'
            """, [.text(id), .text(reference), .timestampMillis(paidOn), .text(account)])
    }
}

struct ReimbursementRow: Sendable {
    static let columns = """
        id, region_id, quarter, total_fen, order_count, state, signed_by, signed_at, payment_reference, paid_on, paid_recorded_by
        """

    var id: String
    var regionID: String
    var quarter: String
    var totalFen: Int64
    var orderCount: Int
    var state: String
    var signedBy: String?
    var signedAtMillis: Int64?
    var paymentReference: String?
    var paidOnMillis: Int64?
    var paidRecordedBy: String?

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        regionID = try row.decode(String.self, column: "region_id")
        quarter = try row.decode(String.self, column: "quarter")
        totalFen = try row.decode(Int64.self, column: "total_fen")
        orderCount = try row.decode(Int.self, column: "order_count")
        state = try row.decode(String.self, column: "state")
        signedBy = try row.decode(String?.self, column: "signed_by")
        signedAtMillis = try row.decode(Int64?.self, column: "signed_at")
        paymentReference = try row.decode(String?.self, column: "payment_reference")
        paidOnMillis = try row.decode(Int64?.self, column: "paid_on")
        paidRecordedBy = try row.decode(String?.self, column: "paid_recorded_by")
    }
}
