import Messages
import Orders
import RPC
import XCTest

/// Promotion-expense orders (活动配合): HQ's plans, a region advancing their in-kind costs as
/// orders under a plan (validated against the plan's regions, dates and budget), the return
/// visit marking them for a quarter's reimbursement, and the quarterly listing.
final class PromotionTests: XCTestCase {
    private var fixture: OrdersFixture!
    private var start: Int64 = 0

    override func setUp() async throws {
        fixture = try await OrdersFixture.make(self)
        start = fixture.clock.nowMillis()
    }

    override func tearDown() async throws { fixture?.close() }

    /// Runs from a day before the clock's start for 120 days; cq only; 100,000 fen per region.
    private func upsertMidAutumn(budget: Int64 = 100_000, regions: [String] = ["cq"]) async throws -> Xsc_Orders_V1_PromotionPlan {
        var plan = Xsc_Orders_V1_PromotionPlan()
        plan.planId = "mid-autumn"
        plan.name = " 中秋品鉴会 "
        plan.startsAtMs = start - 86_400_000
        plan.endsAtMs = start + 120 * 86_400_000
        plan.regionIds = regions
        plan.budgetFenPerRegion = budget
        plan.active = true
        var request = Xsc_Orders_V1_UpsertPromotionPlanRequest()
        request.plan = plan
        return try await fixture.flow.upsertPromotionPlan(request, actor: fixture.admin)
    }

    private func promotionOrder(district: String = OrdersFixture.cqDistrict, plan: String = "mid-autumn") -> Xsc_Orders_V1_SubmitOrderRequest {
        var request = OrdersFixture.orderRequest(source: .self, district: district)
        request.promotionPlanId = plan
        return request
    }

    /// 3 x bj-500 + 1 x bj-250 at cq's list prices.
    private let cqOrderFen: Int64 = 3 * 12_800 + 6_800

    func testPlansAreHQsAndValidated() async throws {
        let saved = try await upsertMidAutumn()
        XCTAssertEqual(saved.name, "中秋品鉴会")
        var bad = Xsc_Orders_V1_UpsertPromotionPlanRequest()
        var plan = Xsc_Orders_V1_PromotionPlan()
        plan.planId = "Mid Autumn"
        plan.startsAtMs = start
        plan.endsAtMs = start
        plan.regionIds = ["cq", "cq"]
        plan.budgetFenPerRegion = -1
        bad.plan = plan
        let error = await expectRPCError(.invalidArgument) { try await self.fixture.flow.upsertPromotionPlan(bad, actor: try self.fixture.admin) }
        XCTAssertEqual(error?.violatedFields, ["plan.plan_id", "plan.name", "plan.ends_at_ms", "plan.budget_fen_per_region", "plan.region_ids"])
        var request = Xsc_Orders_V1_UpsertPromotionPlanRequest()
        request.plan = saved
        await expectRPCError(.permissionDenied) { try await self.fixture.flow.upsertPromotionPlan(request, actor: try self.fixture.customerServiceCQ) }

        var everyRegion = saved
        everyRegion.planId = "spring-festival"
        everyRegion.regionIds = []
        request.plan = everyRegion
        _ = try await fixture.flow.upsertPromotionPlan(request, actor: fixture.admin)
        var list = Xsc_Orders_V1_ListPromotionPlansRequest()
        list.regionId = "sc"
        let forSC = try await fixture.flow.listPromotionPlans(list, actor: fixture.leadO2).plans
        XCTAssertEqual(forSC.map(\.planId), ["spring-festival"], "a plan without regions is open to all")
        list.regionId = "cq"
        let forCQ = try await fixture.flow.listPromotionPlans(list, actor: fixture.leadO1).plans
        XCTAssertEqual(Set(forCQ.map(\.planId)), ["mid-autumn", "spring-festival"])
        await expectRPCError(.permissionDenied) { try await self.fixture.flow.listPromotionPlans(list, actor: try self.fixture.tmall) }
    }

    func testAdmissionChecksTheOrderThePlanAndTheBudget() async throws {
        _ = try await upsertMidAutumn()
        let flow = fixture.flow
        let first = try await flow.submit(promotionOrder(), actor: fixture.leadO1, idempotencyKey: nil)
        XCTAssertEqual(first.order?.promotionPlanId, "mid-autumn")
        let second = try await fixture.submitted(promotionOrder(), by: fixture.customerServiceCQ)
        let over = await expectRPCError(.failedPrecondition, "135,600 fen > 100,000") {
            try await flow.submit(self.promotionOrder(), actor: try self.fixture.leadO1, idempotencyKey: nil)
        }
        XCTAssertEqual(over?.reason, "PROMOTION_BUDGET_EXCEEDED")
        _ = try await flow.cancel(orderID: second.id, reason: "", actor: fixture.leadO1)
        _ = try await flow.submit(promotionOrder(), actor: fixture.leadO1, idempotencyKey: nil) // the cancelled one no longer counts

        let unknown = await expectRPCError(.invalidArgument) { try await flow.submit(self.promotionOrder(plan: "nope"), actor: try self.fixture.leadO1, idempotencyKey: nil) }
        XCTAssertEqual(unknown?.violatedFields, ["promotion_plan_id"])
        var mall = OrdersFixture.orderRequest(source: .mall, externalID: "TM-P1")
        mall.promotionPlanId = "mid-autumn"
        let partner = await expectRPCError(.invalidArgument) { try await flow.submit(mall, actor: try self.fixture.tmall, idempotencyKey: nil) }
        XCTAssertEqual(partner?.violatedFields, ["promotion_plan_id", "promotion_plan_id"], "not self-sourced, and a partner")
        var referred = promotionOrder()
        referred.referrerCode = "ref-42"
        let reward = await expectRPCError(.invalidArgument) { try await flow.submit(referred, actor: try self.fixture.leadO1, idempotencyKey: nil) }
        XCTAssertEqual(reward?.violatedFields, ["referrer_code"])
        let notTheirs = await expectRPCError(.permissionDenied) { try await flow.submit(self.promotionOrder(), actor: try self.fixture.leadO2, idempotencyKey: nil) }
        XCTAssertEqual(notTheirs?.reason, "NOT_ALLOWED")
        let closedRegion = await expectRPCError(.failedPrecondition) {
            try await flow.submit(self.promotionOrder(district: OrdersFixture.scDistrict), actor: try self.fixture.leadO2, idempotencyKey: nil)
        }
        XCTAssertEqual(closedRegion?.reason, "PROMOTION_CLOSED")
        fixture.clock.advance(by: .seconds(121 * 86_400))
        let over2 = await expectRPCError(.failedPrecondition, "after the plan's end") {
            try await flow.submit(self.promotionOrder(), actor: try self.fixture.leadO1, idempotencyKey: nil)
        }
        XCTAssertEqual(over2?.reason, "PROMOTION_CLOSED")
        let orders = try await fixture.count("SELECT count(*) FROM orders WHERE promotion_plan_id = 'mid-autumn'")
        XCTAssertEqual(orders, 3, "refused submissions left nothing behind")
    }

    func testTheReturnVisitMarksTheQuarterInTheOrganisationsZone() async throws {
        _ = try await upsertMidAutumn(budget: 0)
        let flow = fixture.flow
        let order = try await fixture.submitted(promotionOrder(), by: fixture.leadO1)
        let regular = try await fixture.submitted(OrdersFixture.orderRequest(source: .self), by: fixture.leadO1)
        for id in [order.id, regular.id] {
            _ = try await flow.acknowledge(orderID: id, actor: fixture.leadO1)
            _ = try await flow.assign(orderID: id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
            _ = try await flow.accept(orderID: id, actor: fixture.dealer1)
            _ = try await flow.markDelivered(orderID: id, actor: fixture.dealer1)
        }
        // 2025-12-31 16:30 UTC is 2026-01-01 00:30 in Asia/Shanghai: the first quarter of 2026.
        fixture.clock.advance(by: .milliseconds(1_767_198_600_000 - fixture.clock.nowMillis()))
        let visited = try await flow.recordReturnVisit(OrdersFixture.returnVisit(order.id, actual: [("bj-500", 2), ("bj-250", 1)]), actor: fixture.leadO1)
        XCTAssertEqual(visited.reimbursementQuarter, "2026Q1")
        let plain = try await flow.recordReturnVisit(OrdersFixture.returnVisit(regular.id, actual: [("bj-500", 3), ("bj-250", 1)]), actor: fixture.leadO1)
        XCTAssertEqual(plain.reimbursementQuarter, "", "only promotion advances are reimbursed")

        let event = try await fixture.outbox("/xsc.settlements.v1.SettlementService/RecordOrderVisited", as: Xsc_Orders_V1_OrderVisited.self)
            .map(\.message).first { $0.orderId == order.id }
        XCTAssertEqual(event?.promotionPlanId, "mid-autumn")
        XCTAssertEqual(event?.reimbursementQuarter, "2026Q1")

        var request = Xsc_Orders_V1_PromotionExpensesRequest()
        request.quarter = "2026Q1"
        let report = try await flow.promotionExpenses(request, actor: fixture.admin)
        XCTAssertEqual(report.totals.map { [$0.planId, $0.regionId] }, [["mid-autumn", "cq"]])
        XCTAssertEqual(report.totals.map(\.orders), [1])
        XCTAssertEqual(report.totals.map(\.reimbursableFen), [2 * 12_800 + 6_800])
        XCTAssertEqual(report.orders.map(\.orderId), [order.id])
        XCTAssertEqual(report.orders.first?.orderedFen, cqOrderFen)
        let otherOffice = try await flow.promotionExpenses(request, actor: fixture.leadO2)
        XCTAssertEqual(otherOffice.totals.count + otherOffice.orders.count, 0, "sc sees nothing of cq's advances")
        request.quarter = "2025Q4"
        let previous = try await flow.promotionExpenses(request, actor: fixture.admin)
        XCTAssertEqual(previous.orders.count, 0)
        request.quarter = "2026-1"
        let bad = await expectRPCError(.invalidArgument) { try await flow.promotionExpenses(request, actor: try self.fixture.admin) }
        XCTAssertEqual(bad?.violatedFields, ["quarter"])
        await expectRPCError(.permissionDenied) { try await flow.promotionExpenses(request, actor: try self.fixture.tmall) }

        // A refund after the visit: listed, no longer owed.
        _ = try await flow.refund(orderID: order.id, reason: "goods returned", actor: fixture.customerServiceCQ)
        request.quarter = "2026Q1"
        let after = try await flow.promotionExpenses(request, actor: fixture.admin)
        XCTAssertEqual(after.totals.map(\.reimbursableFen), [0])
        XCTAssertEqual(after.orders.map(\.state), [.refunded])

        // Costs, not sales: the sales report counts only the regular order.
        var period = Xsc_Orders_V1_ReportRequest()
        period.fromMs = start - 1
        period.toMs = start + 86_400_000
        let sales = try await flow.salesByTeam(period, actor: fixture.admin).rows
        XCTAssertEqual(sales.map(\.orders), [1])
        XCTAssertEqual(sales.map(\.actualFen), [3 * 12_800 + 6_800])
    }
}
