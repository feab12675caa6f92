import Messages
import Orders
import RPC
import XCTest

/// Roles as the gateway signs them: the exact DOMAIN.md role decides, not the coarse class
/// (customer service is "staff" yet supervises; a team admin is "manager" yet works no orders;
/// dealers and intermediaries on a team node do not see the team's orders), and a partner key
/// submits only on its channel.
final class RoleTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testTheRegionsCustomerServiceSupervisesAndATeamAdminDoesNot() async throws {
        let flow = fixture.flow
        let customerService = try fixture.gatewayActor("cs-2", .staff, team: "/hq/cq", domainRole: "customer_service")
        let teamAdmin = try fixture.gatewayActor("tadmin-7", .manager, team: OrdersFixture.cqTeam, domainRole: "team_admin")
        let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: fixture.leadO1)
        await expectRPCError(.permissionDenied, "a team admin is no order lead") { try await flow.acknowledge(orderID: order.id, actor: teamAdmin) }
        let acknowledged = try await flow.acknowledge(orderID: order.id, actor: customerService)
        XCTAssertEqual(acknowledged.acknowledgedBy, "cs-2")
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: customerService)
        _ = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        _ = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        let visit = OrdersFixture.returnVisit(order.id, actual: [("bj-500", 1), ("bj-250", 1)], score: 3)
        await expectRPCError(.permissionDenied) { try await flow.recordReturnVisit(visit, actor: teamAdmin) }
        _ = try await flow.recordReturnVisit(visit, actor: customerService)
        await expectRPCError(.permissionDenied) { try await flow.refund(orderID: order.id, reason: "", actor: teamAdmin) }
        let refunded = try await flow.refund(orderID: order.id, reason: "", actor: customerService)
        XCTAssertEqual(refunded.state, .refunded)

        var request = Xsc_Orders_V1_ListOrderEventsRequest()
        request.orderId = order.id
        let events = try await flow.events(request, actor: fixture.admin).events
        XCTAssertEqual(events.map(\.actorAccountId), ["lead-o1", "cs-2", "cs-2", "dealer-1", "dealer-1", "cs-2", "cs-2"])
    }

    func testDealersAndIntermediariesOnATeamNodeSeeOnlyTheirOwnOrders() async throws {
        let flow = fixture.flow
        let dealer = try fixture.gatewayActor("dealer-1", .staff, team: OrdersFixture.cqTeam, domainRole: "dealer")
        let intermediary = try fixture.gatewayActor("ref-42", .staff, team: OrdersFixture.cqTeam, domainRole: "intermediary")
        let referred = try await fixture.submitted(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"), by: fixture.leadO1)
        let other = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: fixture.leadO1)

        await expectRPCError(.notFound, "not assigned yet") { try await flow.get(orderID: other.id, actor: dealer) }
        await expectRPCError(.notFound, "not its referral") { try await flow.get(orderID: other.id, actor: intermediary) }
        let limited = try await flow.get(orderID: referred.id, actor: intermediary)
        XCTAssertNil(limited.customer, "a referrer sees the progress, not the customer")
        XCTAssertEqual(limited.creditedTeamPath, "")
        let listed = try await flow.list(Xsc_Orders_V1_ListOrdersRequest(), actor: intermediary).orders
        XCTAssertEqual(listed.map(\.id), [referred.id])

        _ = try await flow.acknowledge(orderID: other.id, actor: fixture.leadO1)
        _ = try await flow.assign(orderID: other.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        let assigned = try await flow.get(orderID: other.id, actor: dealer)
        XCTAssertEqual(assigned.customer?.phone, "13800138000", "the executor sees what it delivers")
        let dealerList = try await flow.list(Xsc_Orders_V1_ListOrdersRequest(), actor: dealer).orders
        XCTAssertEqual(dealerList.map(\.id), [other.id])

        var period = Xsc_Orders_V1_ReportRequest()
        period.fromMs = 0
        period.toMs = fixture.clock.nowMillis() + 1
        await expectRPCError(.permissionDenied) { try await flow.salesByTeam(period, actor: intermediary) }
        await expectRPCError(.permissionDenied) { try await flow.channelMix(period, actor: dealer) }
    }

    func testAPartnerKeySubmitsOnlyOnItsChannel() async throws {
        let mallKey = try fixture.gatewayActor("tmall", .partner, channel: "mall")
        let wrong = await expectRPCError(.invalidArgument) {
            try await self.fixture.flow.submit(OrdersFixture.orderRequest(source: .groupbuyPlatform, externalID: "TM-C1"),
                                               actor: mallKey, idempotencyKey: nil)
        }
        XCTAssertEqual(wrong?.violatedFields, ["source"])
        let order = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-C1"), actor: mallKey, idempotencyKey: nil)
        XCTAssertEqual(order.order?.partnerId, "tmall")
    }
}
