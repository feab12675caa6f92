import Messages
import Postgres

/// The quarterly listing of promotion advances. Parameters shared by both queries: $1 team
/// path, $2 team prefix (the caller's subtree), $3 quarter, $4 region ('' any), $5 plan ('' any).
struct PromotionExpenseQueries: Sendable {
    struct Filter: Sendable {
        var teamPath: String
        var teamPrefix: String
        var quarter: String
        var regionID: String
        var planID: String

        var parameters: [PostgresValue] {
            [.text(teamPath), .text(teamPrefix), .text(quarter), .text(regionID), .text(planID)]
        }
    }

    private static let condition = """
        (o.credited_team_path = $1 OR left(o.credited_team_path, length($2)) = $2)
        AND o.reimbursement_quarter = $3 AND o.promotion_plan_id <> ''
        AND ($4 = '' OR o.region_id = $4) AND ($5 = '' OR o.promotion_plan_id = $5)
        """

    /// What each region is owed per plan: visited orders at their actual amount.
    func totals(_ filter: Filter, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_PromotionExpenseTotal] {
        let rows = try await tx.query("""
            SELECT o.promotion_plan_id, o.region_id, (count(*) FILTER (WHERE o.state = 'visited'))::int,
                   coalesce(sum(o.actual_total_fen) FILTER (WHERE o.state = 'visited'), 0)::bigint
            FROM orders o WHERE \(Self.condition)
            GROUP BY o.promotion_plan_id, o.region_id ORDER BY o.promotion_plan_id, o.region_id
            """, filter.parameters)
        return try rows.map { row in
            var total = Xsc_Orders_V1_PromotionExpenseTotal()
            total.planId = try row.decode(String.self, at: 0)
            total.regionId = try row.decode(String.self, at: 1)
            total.orders = try row.decode(Int32.self, at: 2)
            total.reimbursableFen = try row.decode(Int64.self, at: 3)
            return total
        }
    }

    /// One page of the quarter's orders after (visited ms, id), by visit time.
    func orders(_ filter: Filter, after: (Int64, String)?, limit: Int, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_PromotionExpense] {
        let rows = try await tx.query("""
            SELECT o.id, o.code, o.promotion_plan_id, o.region_id, o.credited_team_path, o.state, o.total_fen,
                   o.actual_total_fen, o.visited_at
            FROM orders o WHERE \(Self.condition)
              AND ($6::timestamptz IS NULL OR (o.visited_at, o.id) > ($6, $7))
            ORDER BY o.visited_at, o.id LIMIT $8
            """, filter.parameters + [after.map { .timestampMillis($0.0) } ?? .null, .text(after?.1 ?? ""), .int(limit)])
        return try rows.map { row in
            var expense = Xsc_Orders_V1_PromotionExpense()
            expense.orderId = try row.decode(String.self, at: 0)
            expense.code = try row.decode(String.self, at: 1)
            expense.planId = try row.decode(String.self, at: 2)
            expense.regionId = try row.decode(String.self, at: 3)
            expense.creditedTeamPath = try row.decode(String.self, at: 4)
            expense.state = OrderState(storedName: try row.decode(String.self, at: 5))
            expense.orderedFen = try row.decode(Int64.self, at: 6)
            expense.actualFen = try row.decode(Int64.self, at: 7)
            expense.visitedAtMs = try row.decode(Int64.self, at: 8)
            return expense
        }
    }
}
