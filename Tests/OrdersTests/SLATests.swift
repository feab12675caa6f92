import Messages
import Orders
import Postgres
import ServiceKitStore
import XCTest

/// The five-minute rule with the SLA set to seconds and a manual clock: a missed step records
/// a violation, escalates to the next superior through the outbox, and the late action still
/// works.
final class SLATests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self, slaSeconds: 5) }
    override func tearDown() async throws { fixture?.close() }

    private func worker() throws -> TimerWorker { try fixture.timerWorker(name: "sla-test") }

    func testMissedAcknowledgementEscalatesAndALateAcknowledgementStillWorks() async throws {
        let flow = fixture.flow
        let timers = try worker()
        let awaited1 = try await flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1, idempotencyKey: nil).order
        let order = try XCTUnwrap(awaited1)
        fixture.clock.advance(by: .seconds(4))
        let awaited2 = try await timers.runOnce()
        XCTAssertEqual(awaited2, 0, "not due yet")
        let awaited3 = try await fixture.count("SELECT count(*) FROM sla_violations")
        XCTAssertEqual(awaited3, 0)

        fixture.clock.advance(by: .seconds(2))
        let awaited4 = try await timers.runOnce()
        XCTAssertEqual(awaited4, 1)
        let violation = try await fixture.pool.query("SELECT step, responsible_account_ids, escalated_to FROM sla_violations WHERE order_id = $1", [.text(order.id)])
        XCTAssertEqual(violation.count, 1)
        XCTAssertEqual(try violation[0].decode(String.self, at: 0), "order.ack_deadline")
        XCTAssertEqual(try violation[0].decode(String.self, at: 1), "lead-o1")
        XCTAssertEqual(try violation[0].decode(String.self, at: 2), "cs-cq")
        let escalation = try await fixture.smsRequests(forOrder: order.code).filter { $0.template == "sla_escalation" }
        XCTAssertEqual(escalation.map(\.accountId), ["cs-cq"])
        XCTAssertEqual(escalation.first?.params["assignee"], "lead-o1")
        XCTAssertEqual(escalation.first?.category, .staffSla)
        let awaited5 = try await timers.runOnce()
        XCTAssertEqual(awaited5, 0, "a violation is recorded once")

        // Late, but it still works; the next step's deadline starts now.
        let acknowledged = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        let assignTimer = try await Timers(clock: fixture.clock.now).entry(pool: fixture.pool, kind: "order.assign_deadline", subjectID: order.id)
        XCTAssertEqual(assignTimer?.dueAtMillis, fixture.clock.nowMillis() + 5_000)
        var request = Xsc_Orders_V1_ListOrderEventsRequest()
        request.orderId = order.id
        let kinds = try await flow.events(request, actor: fixture.leadO1).events.map(\.kind)
        XCTAssertEqual(kinds, ["submitted", "sla_violation", "acknowledged"])
    }

    func testStepsDoneInTimeRecordNothingAndADealerMissEscalatesToItsLead() async throws {
        let flow = fixture.flow
        let timers = try worker()
        // The dealer's window is the region's setting (none by default, issue 14).
        var settings = Xsc_Orders_V1_RegionSettings()
        settings.regionId = "cq"
        settings.dealerAcceptSeconds = 5
        var setRequest = Xsc_Orders_V1_SetRegionSettingsRequest()
        setRequest.settings = settings
        _ = try await flow.setRegionSettings(setRequest, actor: fixture.admin)
        let awaited6 = try await flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1, idempotencyKey: nil).order
        let order = try XCTUnwrap(awaited6)
        fixture.clock.advance(by: .seconds(3))
        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        fixture.clock.advance(by: .seconds(3))
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        fixture.clock.advance(by: .seconds(3))
        let awaited7 = try await timers.runOnce()
        XCTAssertEqual(awaited7, 0, "acknowledged and assigned in time: the cancelled timers never fire")
        fixture.clock.advance(by: .seconds(3))
        let awaited8 = try await timers.runOnce()
        XCTAssertEqual(awaited8, 1, "the dealer's acceptance deadline passed")
        let rows = try await fixture.pool.query("SELECT step, responsible_account_ids, escalated_to FROM sla_violations")
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), "order.accept_deadline")
        XCTAssertEqual(try rows[0].decode(String.self, at: 1), "dealer-1")
        XCTAssertEqual(try rows[0].decode(String.self, at: 2), "lead-o1")
        let accepted = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        XCTAssertEqual(accepted.state, .accepted)
    }
}
