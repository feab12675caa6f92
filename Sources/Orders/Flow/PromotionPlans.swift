import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// HQ promotion plans (活动) and the admission of promotion-expense orders under them: a
/// region advances the plan's in-kind costs as an ordinary order carrying the plan id, which
/// the return visit marks for the quarter's reimbursement (see `PromotionExpenseReport`).
extension OrderFlow {
    static let maxPlanRegions = 100
    static let planDescriptionLength = 2000

    public func upsertPromotionPlan(_ request: Xsc_Orders_V1_UpsertPromotionPlanRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_PromotionPlan {
        guard actor.role == .admin else { throw RPCError.notAllowed("only HQ administrators set promotion plans") }
        var plan = request.plan ?? Xsc_Orders_V1_PromotionPlan()
        plan.planId = plan.planId.trimmedForPeople
        plan.name = plan.name.trimmedForPeople
        plan.description = plan.description.trimmedForPeople
        var problems = FieldViolations()
        if !Self.isSlug(plan.planId) { problems.add("plan.plan_id", "1 to 64 lower-case letters, digits and '-'") }
        if plan.name.isEmpty || plan.name.count > 200 { problems.add("plan.name", "1 to 200 characters") }
        if plan.description.count > Self.planDescriptionLength {
            problems.add("plan.description", "at most \(Self.planDescriptionLength) characters")
        }
        if plan.startsAtMs <= 0 { problems.add("plan.starts_at_ms", "a Unix time in milliseconds") }
        if plan.endsAtMs <= plan.startsAtMs { problems.add("plan.ends_at_ms", "after starts_at_ms") }
        if plan.budgetFenPerRegion < 0 { problems.add("plan.budget_fen_per_region", "0 (no cap) or a positive amount in fen") }
        if plan.regionIds.count > Self.maxPlanRegions { problems.add("plan.region_ids", "at most \(Self.maxPlanRegions) regions") }
        if Set(plan.regionIds).count != plan.regionIds.count { problems.add("plan.region_ids", "a region is listed twice") }
        for (index, region) in plan.regionIds.enumerated() where !Self.isSlug(region) {
            problems.add("plan.region_ids[\(index)]", "a region id: lower-case letters, digits and '-'")
        }
        try problems.check()
        plan.regionIds.sort()
        let stored = plan
        try await pool.transaction { tx in try await promotions.upsert(stored, at: clock(), in: tx) }
        return plan
    }

    public func listPromotionPlans(_ request: Xsc_Orders_V1_ListPromotionPlansRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_ListPromotionPlansResponse {
        guard actor.role != .partner else { throw RPCError.notAllowed("promotion plans are for staff") }
        let region = request.regionId.trimmedForPeople
        if !region.isEmpty && !Self.isSlug(region) { throw FieldViolations.error("region_id", "a region id: lower-case letters, digits and '-'") }
        var response = Xsc_Orders_V1_ListPromotionPlansResponse()
        response.plans = try await pool.transaction { tx in
            try await promotions.plans(region: region, activeOnly: request.activeOnly, in: tx)
        }
        return response
    }

    /// Checked in the intake transaction once the order's row exists (so it counts against the
    /// budget): the submitter works in the delivery district's part of the organisation, and the
    /// plan is active, running, open to the region and within its budget.
    func admitPromotionOrder(plan planID: String, routing: Routing, actor: VerifiedActor, at now: Int64,
                             in tx: PostgresTransaction) async throws {
        guard OrderViewer(actor).reachesTeam(routing.creditedTeamPath) else {
            throw RPCError.notAllowed("a promotion-expense order is submitted by the staff of the region that advances it")
        }
        guard let plan = try await promotions.lock(planID, in: tx) else {
            throw FieldViolations.error("promotion_plan_id", "unknown promotion plan \(planID)")
        }
        guard plan.active, plan.startsAtMs <= now, now < plan.endsAtMs else {
            throw RPCError.orders(.failedPrecondition, "promotion plan \(planID) is not running now", reason: OrderErrorReason.promotionClosed)
        }
        guard plan.regionIds.isEmpty || plan.regionIds.contains(routing.regionID) else {
            throw RPCError.orders(.failedPrecondition, "region \(routing.regionID) does not take part in promotion plan \(planID)",
                                  reason: OrderErrorReason.promotionClosed)
        }
        guard plan.budgetFenPerRegion > 0 else { return }
        let advanced = try await promotions.advanced(plan: planID, region: routing.regionID, in: tx)
        guard advanced <= plan.budgetFenPerRegion else {
            throw RPCError.orders(.failedPrecondition,
                                  "this order would take region \(routing.regionID) to \(advanced) fen under plan \(planID), over its budget of \(plan.budgetFenPerRegion) fen",
                                  reason: OrderErrorReason.promotionBudgetExceeded)
        }
    }

    static func isSlug(_ text: String) -> Bool {
        !text.isEmpty && text.count <= SubmissionLimits.idLength
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
