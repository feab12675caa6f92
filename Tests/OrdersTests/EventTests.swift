import Messages
import Orders
import ServiceKitStore
import XCTest

/// The events other services get through the outbox (events.proto): customers hears of every
/// customer and referrer, settlements of visits, refunds and SLA violations - each with the
/// outbox event id as its event id, committed with the change that caused it.
final class EventTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self, slaSeconds: 5) }
    override func tearDown() async throws { fixture?.close() }

    private static let customerSeen = "/xsc.customers.v1.CustomerService/RecordCustomerSeen"
    private static let referrerSeen = "/xsc.customers.v1.CustomerService/RecordReferrerSeen"
    private static let visited = "/xsc.settlements.v1.SettlementService/RecordOrderVisited"
    private static let refunded = "/xsc.settlements.v1.SettlementService/RecordOrderRefunded"
    private static let violation = "/xsc.settlements.v1.SettlementService/RecordViolation"

    func testCustomersHearOfTheCustomerAndTheReferrerOfEveryNewOrder() async throws {
        let salesperson = try fixture.gatewayActor("sales-7", .staff, team: OrdersFixture.cqTeam, domainRole: "salesperson")
        let alliance = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"),
                                                     actor: salesperson, idempotencyKey: nil)
        let mall = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-E1", phone: "139 0000 1111"),
                                                 actor: fixture.tmall, idempotencyKey: nil)
        // The same order again is no new sighting.
        _ = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-E1", phone: "139 0000 1111"),
                                          actor: fixture.tmall, idempotencyKey: nil)

        let seen = try await fixture.outbox(Self.customerSeen, as: Xsc_Orders_V1_CustomerSeen.self)
        XCTAssertEqual(seen.map(\.message.orderId), [alliance.order?.id, mall.order?.id].compactMap { $0 })
        XCTAssertEqual(seen.map(\.message.eventId), seen.map(\.eventID), "the event id is the outbox event id")
        let first = seen[0].message
        XCTAssertEqual(first.customerPhone, "13800138000")
        XCTAssertEqual(first.customerName, "张三")
        XCTAssertEqual(first.creditedTeamPath, OrdersFixture.cqTeam)
        XCTAssertEqual(first.regionId, "cq")
        XCTAssertEqual(first.salespersonAccountId, "sales-7", "a salesperson's new customer is theirs")
        XCTAssertEqual(first.referrerAccountId, "ref-42")
        XCTAssertEqual(first.source, .alliance)
        let second = seen[1].message
        XCTAssertEqual(second.salespersonAccountId, "", "a partner platform is nobody's salesperson")
        XCTAssertEqual(second.partnerId, "partner-tmall")
        XCTAssertEqual(second.customerPhone, "13900001111")

        let referrers = try await fixture.outbox(Self.referrerSeen, as: Xsc_Orders_V1_ReferrerSeen.self)
        XCTAssertEqual(referrers.map(\.message.referrerAccountId), ["ref-42"], "only the order with a referrer code")
        XCTAssertEqual(referrers.first?.message.customerPhone, "13800138000")
        let peers = try await fixture.pool.query("SELECT DISTINCT destination FROM xsc_outbox WHERE method_path LIKE '/xsc.customers.%'")
        XCTAssertEqual(try peers.map { try $0.decode(String.self, at: 0) }, ["customers"])
    }

    func testSettlementsHearOfTheVisitWithActualAmountsAndOfTheRefund() async throws {
        let flow = fixture.flow
        let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"), by: fixture.leadO1)
        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        _ = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        _ = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        let visit = OrdersFixture.returnVisit(order.id, actual: [("bj-500", 2), ("bj-250", 0)], score: 4)
        let visitedAt = fixture.clock.nowMillis()
        let visitedOrder = try await flow.recordReturnVisit(visit, actor: fixture.leadO1)
        XCTAssertEqual(visitedOrder.visitedAtMs, visitedAt)

        let visits = try await fixture.outbox(Self.visited, as: Xsc_Orders_V1_OrderVisited.self)
        XCTAssertEqual(visits.count, 1)
        let event = visits[0].message
        XCTAssertEqual(event.eventId, visits[0].eventID)
        XCTAssertEqual(event.orderId, order.id)
        XCTAssertEqual(event.orderCode, order.code)
        XCTAssertEqual(event.creditedTeamPath, OrdersFixture.cqTeam)
        XCTAssertEqual(event.dealerAccountId, "dealer-1")
        XCTAssertEqual(event.referrerAccountId, "ref-42")
        XCTAssertEqual(event.customerPhone, "13800138000")
        XCTAssertEqual(event.lines.map(\.actualQuantity), [2, 0])
        XCTAssertEqual(event.lines.map(\.actualFen), [2 * 12_800, 0])
        XCTAssertEqual(event.orderedFen, 3 * 12_800 + 6_800)
        XCTAssertEqual(event.actualFen, 2 * 12_800)
        XCTAssertEqual(event.visitedAtMs, visitedAt)
        XCTAssertEqual(event.visitedByAccountId, "lead-o1")
        XCTAssertEqual(event.promotionPlanId, "")

        fixture.clock.advance(by: .seconds(3600))
        _ = try await flow.refund(orderID: order.id, reason: " 客户退货 ", actor: fixture.customerServiceCQ)
        let refunds = try await fixture.outbox(Self.refunded, as: Xsc_Orders_V1_OrderRefunded.self)
        XCTAssertEqual(refunds.count, 1)
        XCTAssertEqual(refunds[0].message.refundedFen, 2 * 12_800, "the confirmed actual amount is clawed back")
        XCTAssertEqual(refunds[0].message.visitedAtMs, visitedAt)
        XCTAssertEqual(refunds[0].message.refundedAtMs, fixture.clock.nowMillis())
        XCTAssertEqual(refunds[0].message.refundedByAccountId, "cs-cq")
        XCTAssertEqual(refunds[0].message.reason, "客户退货")
        XCTAssertEqual(refunds[0].message.referrerAccountId, "ref-42")
        let destinations = try await fixture.pool.query("SELECT DISTINCT destination FROM xsc_outbox WHERE method_path LIKE '/xsc.settlements.%'")
        XCTAssertEqual(try destinations.map { try $0.decode(String.self, at: 0) }, ["settlements"])
    }

    func testAMissedDeadlineIsAViolationForTheRegister() async throws {
        let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: fixture.leadO1)
        let due = fixture.clock.nowMillis() + 5_000
        fixture.clock.advance(by: .seconds(65))
        let timers = try fixture.timerWorker()
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 1)
        let violations = try await fixture.outbox(Self.violation, as: Xsc_Orders_V1_SlaViolation.self)
        XCTAssertEqual(violations.count, 1)
        let event = violations[0].message
        XCTAssertEqual(event.eventId, violations[0].eventID)
        XCTAssertEqual(event.orderId, order.id)
        XCTAssertEqual(event.step, .acknowledge)
        XCTAssertEqual(event.stage, "确认接单")
        XCTAssertEqual(event.responsibleAccountIds, ["lead-o1"])
        XCTAssertEqual(event.escalatedToAccountIds, ["cs-cq"])
        XCTAssertEqual(event.dueAtMs, due)
        XCTAssertEqual(event.lateMs, 60_000)
        XCTAssertEqual(event.officeId, "cq-o1")
    }
}
