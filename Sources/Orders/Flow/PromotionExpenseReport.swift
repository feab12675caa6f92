import DomainKit
import Messages
import RPC
import ServiceKit

/// The promotion advances one quarter's reimbursement covers, over the caller's subtree: HQ
/// sees every region, a region's staff their own (the figures settlements reimburses).
extension OrderFlow {
    public func promotionExpenses(_ request: Xsc_Orders_V1_PromotionExpensesRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_PromotionExpensesResponse {
        let viewer = OrderViewer(actor)
        guard !viewer.isPartner, viewer.teamPath.hasPrefix("/") else {
            throw RPCError.notAllowed("promotion expenses are reported over an organisation node; this account has none")
        }
        var problems = FieldViolations()
        let quarter = request.quarter.trimmedForPeople
        if !BusinessCalendar.isQuarter(quarter) { problems.add("quarter", "a quarter like 2025Q4") }
        let region = request.regionId.trimmedForPeople
        if !region.isEmpty && !Self.isSlug(region) { problems.add("region_id", "a region id: lower-case letters, digits and '-'") }
        let plan = request.planId.trimmedForPeople
        if !plan.isEmpty && !Self.isSlug(plan) { problems.add("plan_id", "a plan id: lower-case letters, digits and '-'") }
        let page = request.page ?? Xsc_Common_V1_PageRequest()
        var after: (Int64, String)? = nil
        if !page.cursor.isEmpty {
            let parts = page.cursor.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let millis = Int64(parts[0]) { after = (millis, String(parts[1])) }
            else { problems.add("page.cursor", "not a cursor this service returned") }
        }
        try problems.check()
        let filter = PromotionExpenseQueries.Filter(teamPath: viewer.teamPath, teamPrefix: viewer.teamPrefix, quarter: quarter,
                                                    regionID: region, planID: plan)
        let size = Self.pageSize(page.pageSize)
        return try await pool.transaction { tx in
            let queries = PromotionExpenseQueries()
            var response = Xsc_Orders_V1_PromotionExpensesResponse()
            response.quarter = quarter
            response.totals = try await queries.totals(filter, in: tx)
            let orders = try await queries.orders(filter, after: after, limit: size + 1, in: tx)
            response.orders = Array(orders.prefix(size))
            var info = Xsc_Common_V1_PageInfo()
            if orders.count > size, let last = response.orders.last { info.nextCursor = "\(last.visitedAtMs):\(last.orderId)" }
            response.page = info
            return response
        }
    }
}
