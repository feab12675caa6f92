import Messages
import Postgres

/// HQ promotion plans and the promotion-expense orders under them.
struct PromotionStore: Sendable {
    func upsert(_ plan: Xsc_Orders_V1_PromotionPlan, at: Int64, in tx: PostgresTransaction) async throws {
        var statements = [
            PostgresStatement("""
                INSERT INTO promotion_plans (plan_id, name, description, starts_at, ends_at, budget_fen_per_region, active, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (plan_id) DO UPDATE SET name = $2, description = $3, starts_at = $4, ends_at = $5,
                    budget_fen_per_region = $6, active = $7, updated_at = $8
                """, [.text(plan.planId), .text(plan.name), .text(plan.description), .timestampMillis(plan.startsAtMs),
                      .timestampMillis(plan.endsAtMs), .int64(plan.budgetFenPerRegion), .bool(plan.active), .timestampMillis(at)]),
            PostgresStatement("DELETE FROM promotion_plan_regions WHERE plan_id = $1", [.text(plan.planId)]),
        ]
        for region in plan.regionIds {
            statements.append(PostgresStatement("INSERT INTO promotion_plan_regions (plan_id, region_id) VALUES ($1, $2)",
                                                [.text(plan.planId), .text(region)]))
        }
        _ = try await tx.run(statements)
    }

    /// Plans open to `region` ('' for every plan), by start then id.
    func plans(region: String, activeOnly: Bool, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_PromotionPlan] {
        let rows = try await tx.query("""
            SELECT \(Self.columns) FROM promotion_plans p
            WHERE ($1 = '' OR NOT EXISTS (SELECT 1 FROM promotion_plan_regions r WHERE r.plan_id = p.plan_id)
                   OR EXISTS (SELECT 1 FROM promotion_plan_regions r WHERE r.plan_id = p.plan_id AND r.region_id = $1))
              AND (NOT $2 OR p.active)
            ORDER BY p.starts_at, p.plan_id LIMIT 500
            """, [.text(region), .bool(activeOnly)])
        return try rows.map(Self.plan)
    }

    /// The plan, locked so that concurrent orders under it check its budget one at a time.
    func lock(_ planID: String, in tx: PostgresTransaction) async throws -> Xsc_Orders_V1_PromotionPlan? {
        try await tx.query("SELECT \(Self.columns) FROM promotion_plans p WHERE p.plan_id = $1 FOR UPDATE", [.text(planID)])
            .first.map(Self.plan)
    }

    /// What `region` has advanced under the plan: open orders at their ordered amount, visited
    /// ones at their actual amount; cancelled and refunded ones cost nothing.
    func advanced(plan: String, region: String, in tx: PostgresTransaction) async throws -> Int64 {
        try await tx.query("""
            SELECT coalesce(sum(CASE WHEN state = 'visited' THEN actual_total_fen ELSE total_fen END), 0)::bigint
            FROM orders WHERE promotion_plan_id = $1 AND region_id = $2 AND state NOT IN ('cancelled', 'refunded')
            """, [.text(plan), .text(region)])[0].decode(Int64.self, at: 0)
    }

    private static let columns = """
        p.plan_id, p.name, p.description, p.starts_at, p.ends_at, p.budget_fen_per_region, p.active,
        ARRAY(SELECT r.region_id FROM promotion_plan_regions r WHERE r.plan_id = p.plan_id ORDER BY r.region_id)::text
        """

    private static func plan(_ row: PostgresRow) throws -> Xsc_Orders_V1_PromotionPlan {
        var plan = Xsc_Orders_V1_PromotionPlan()
        plan.planId = try row.decode(String.self, at: 0)
        plan.name = try row.decode(String.self, at: 1)
        plan.description = try row.decode(String.self, at: 2)
        plan.startsAtMs = try row.decode(Int64.self, at: 3)
        plan.endsAtMs = try row.decode(Int64.self, at: 4)
        plan.budgetFenPerRegion = try row.decode(Int64.self, at: 5)
        plan.active = try row.decode(Bool.self, at: 6)
        plan.regionIds = parseTextArray(try row.decode(String.self, at: 7))
        return plan
    }

    /// Region ids are validated slugs (no quotes, commas or braces), so the array's text form
    /// is a plain comma list in braces.
    private static func parseTextArray(_ text: String) -> [String] {
        let inner = text.dropFirst().dropLast()
        return inner.isEmpty ? [] : inner.split(separator: ",").map(String.init)
    }
}
