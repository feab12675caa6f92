import Messages
import Orders
import XCTest

/// The drill's first part (DOMAIN.md): a mall order and an alliance order, each from
/// submission to return visit, with their SMS requests in the outbox.
final class DrillTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testMallOrderGoesFromSubmissionToReturnVisit() async throws {
        let flow = fixture.flow
        let submitted = try await flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-1001"),
                                              actor: fixture.tmall, idempotencyKey: nil)
        let order = try XCTUnwrap(submitted.order)
        XCTAssertEqual(order.state, .received)
        XCTAssertEqual(order.partnerId, "partner-tmall")
        // The partner sees its order, not our organisation (issue 14); HQ sees where it went.
        XCTAssertEqual(order.creditedTeamPath, "")
        let asHQ = try await flow.get(orderID: order.id, actor: fixture.admin)
        XCTAssertEqual(asHQ.creditedTeamPath, OrdersFixture.cqTeam)
        XCTAssertEqual(asHQ.officeId, "cq-o1")
        XCTAssertEqual(order.customer?.phone, "13800138000", "normalised from +86 and spaces")
        XCTAssertEqual(order.totalFen, 3 * 15_800 + 8_800, "mall orders at the guided maximum")
        XCTAssertEqual(order.code.count, 7)
        XCTAssertTrue(order.code.first?.isLetter ?? false, "a code always has a letter: \(order.code)")

        let acknowledged = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        let assigned = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        XCTAssertEqual(assigned.state, .assigned)
        XCTAssertEqual(assigned.assigneeAccountId, "dealer-1")
        let accepted = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        XCTAssertEqual(accepted.state, .accepted)
        let delivered = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        XCTAssertEqual(delivered.state, .delivered)
        let visited = try await flow.recordReturnVisit(OrdersFixture.returnVisit(order.id, actual: [("bj-500", 2), ("bj-250", 1)], score: 5),
                                                       actor: fixture.leadO1)
        XCTAssertEqual(visited.state, .visited)
        XCTAssertEqual(visited.actualTotalFen, 2 * 15_800 + 8_800, "actual sales differ from the order")
        XCTAssertEqual(visited.lines.map(\.actualQuantity), [2, 1])
        XCTAssertEqual(visited.evaluationScore, 5)

        let events = try await flow.events(eventsRequest(order.id), actor: fixture.leadO1).events
        XCTAssertEqual(events.map(\.kind), ["submitted", "acknowledged", "assigned", "accepted", "delivered", "visited"])
        XCTAssertEqual(events.map(\.actorAccountId), ["partner-tmall", "lead-o1", "lead-o1", "dealer-1", "dealer-1", "lead-o1"])
        XCTAssertEqual(events.map(\.toState), [.received, .acknowledged, .assigned, .accepted, .delivered, .visited])
        XCTAssertEqual(events.dropFirst().map(\.fromState), [.received, .acknowledged, .assigned, .accepted, .delivered])

        let sms = try await fixture.smsRequests(forOrder: order.code)
        XCTAssertEqual(sms.map(\.template), ["order_new_lead", "order_forwarded", "customer_order_confirmed", "order_visit_due"])
        XCTAssertEqual(sms[0].accountId, "lead-o1")
        XCTAssertEqual(sms[0].subject?.shortCode, order.code)
        XCTAssertEqual(sms[0].subject?.id, order.id)
        XCTAssertEqual(sms[0].regionCode, "cq")
        XCTAssertEqual(sms[1].accountId, "dealer-1")
        XCTAssertEqual(sms[2].phone, "13800138000")
        XCTAssertEqual(sms[2].category, .customer)
        XCTAssertTrue(sms.allSatisfy { !$0.idempotencyKey.isEmpty })
        let pendingTimers = try await fixture.count("SELECT count(*) FROM xsc_timers WHERE subject_id = $1 AND state = 'pending'", [.text(order.id)])
        XCTAssertEqual(pendingTimers, 0, "every deadline of the flow was met and cancelled")
    }

    func testAllianceOrderGoesThroughTheDistrictLeadToReturnVisit() async throws {
        let flow = fixture.flow
        let submitted = try await flow.submit(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"),
                                              actor: fixture.leadO1, idempotencyKey: "drill-alliance-1")
        let order = try XCTUnwrap(submitted.order)
        XCTAssertEqual(order.totalFen, 3 * 12_800 + 6_800, "alliance orders at the region's list price")
        XCTAssertEqual(order.referrerCode, "ref-42")

        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        let forwarded = try await flow.assign(orderID: order.id, assignee: "dlead-d3", kind: .districtLead, actor: fixture.leadO1)
        XCTAssertEqual(forwarded.assigneeKind, .districtLead)
        let acknowledged = try await flow.acknowledge(orderID: order.id, actor: fixture.districtLeadD3)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        XCTAssertEqual(acknowledged.acknowledgedBy, "dlead-d3")
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.districtLeadD3)
        _ = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        _ = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        // The region's customer service may do the return visit too.
        let visited = try await flow.recordReturnVisit(OrdersFixture.returnVisit(order.id, actual: [("bj-500", 3), ("bj-250", 2)], score: 4, text: "很满意"),
                                                       actor: fixture.customerServiceCQ)
        XCTAssertEqual(visited.state, .visited)
        XCTAssertEqual(visited.actualTotalFen, 3 * 12_800 + 2 * 6_800)
        XCTAssertEqual(visited.evaluationText, "很满意")

        let events = try await flow.events(eventsRequest(order.id), actor: fixture.admin).events
        XCTAssertEqual(events.map(\.kind), ["submitted", "acknowledged", "assigned", "acknowledged", "assigned", "accepted", "delivered", "visited"])
        let sms = try await fixture.smsRequests(forOrder: order.code)
        XCTAssertEqual(sms.map(\.template), ["order_new_lead", "order_forwarded", "order_forwarded", "customer_order_confirmed",
                                              "order_visit_due"])
        XCTAssertEqual(sms.map(\.accountId), ["lead-o1", "dlead-d3", "dealer-1", "", "lead-o1"])
    }

    func testSmsReplyAcknowledgesForTheLeadThatReplied() async throws {
        let flow = fixture.flow
        let submitted = try await flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1, idempotencyKey: nil)
        let order = try XCTUnwrap(submitted.order)
        var reply = Xsc_Orders_V1_AcknowledgeBySmsRequest()
        reply.orderCode = order.code.lowercased()
        reply.accountId = "lead-o1"
        fixture.clock.advance(by: .seconds(10))
        reply.repliedAtMs = fixture.clock.nowMillis()
        // Only the notifications service (a system actor) may speak for an SMS reply.
        await expectRPCError(.permissionDenied) { try await flow.acknowledgeBySms(reply, actor: try self.fixture.leadO2) }
        var stranger = reply
        stranger.accountId = "lead-o2"
        await expectRPCError(.permissionDenied, "not this order's lead") { try await flow.acknowledgeBySms(stranger, actor: try self.fixture.system) }
        // The relay delivers the reply 40 s after the lead sent it: it counts when it was sent.
        fixture.clock.advance(by: .seconds(40))
        let acknowledged = try await flow.acknowledgeBySms(reply, actor: fixture.system)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        XCTAssertEqual(acknowledged.acknowledgedBy, "lead-o1")
        XCTAssertEqual(acknowledged.updatedAtMs, reply.repliedAtMs)
        // A redelivered reply changes nothing and still answers OK.
        let again = try await flow.acknowledgeBySms(reply, actor: fixture.system)
        XCTAssertEqual(again.state, .acknowledged)
        let events = try await flow.events(eventsRequest(order.id), actor: fixture.leadO1).events
        XCTAssertEqual(events.map(\.kind), ["submitted", "acknowledged"])
        XCTAssertEqual(events.last?.actorAccountId, "lead-o1")
        XCTAssertEqual(events.last?.atMs, reply.repliedAtMs)
    }

    func testSmsReplyWithoutACodeAcknowledgesTheLeadsNewestWaitingOrder() async throws {
        let flow = fixture.flow
        let older = try await flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1, idempotencyKey: nil)
        fixture.clock.advance(by: .seconds(10))
        let newer = try await flow.submit(OrdersFixture.orderRequest(source: .sms), actor: fixture.leadO1, idempotencyKey: nil)
        _ = try await flow.submit(OrdersFixture.orderRequest(source: .phone, district: OrdersFixture.scDistrict), actor: fixture.leadO2, idempotencyKey: nil)
        var reply = Xsc_Orders_V1_AcknowledgeBySmsRequest()
        reply.accountId = "lead-o1"
        let first = try await flow.acknowledgeBySms(reply, actor: fixture.system)
        XCTAssertEqual(first.id, newer.order?.id)
        let second = try await flow.acknowledgeBySms(reply, actor: fixture.system)
        XCTAssertEqual(second.id, older.order?.id)
        XCTAssertEqual(second.state, .acknowledged)
        await expectRPCError(.notFound, "nothing left for lead-o1") { try await flow.acknowledgeBySms(reply, actor: try self.fixture.system) }
    }

    private func eventsRequest(_ id: String) -> Xsc_Orders_V1_ListOrderEventsRequest {
        var request = Xsc_Orders_V1_ListOrderEventsRequest()
        request.orderId = id
        return request
    }
}
