import Messages
import Orders
import Postgres
import ServiceKitStore
import XCTest

/// An SMS acknowledgement counts at the reply's own time. When it reaches orders only after the
/// deadline timer recorded a miss (orders was down longer than the SLA), a reply sent at or
/// before the deadline withdraws the miss: marked in sla_violations, an order event, one
/// SlaViolationWithdrawn for settlements, and SlaCompliance no longer counts it. A later reply
/// keeps the miss; an in-time reply that arrives before the timer fires records none.
/// SLA of 5 s on a manual clock; the timer worker runs only when a test says so, which is how
/// "orders was down" looks from inside orders.
final class SLAWithdrawalTests: XCTestCase {
    private var fixture: OrdersFixture!
    private static let withdrawnPath = "/xsc.settlements.v1.SettlementService/RecordViolationWithdrawn"
    private static let violationPath = "/xsc.settlements.v1.SettlementService/RecordViolation"

    override func setUp() async throws { fixture = try await OrdersFixture.make(self, slaSeconds: 5) }
    override func tearDown() async throws { fixture?.close() }

    private func worker() throws -> TimerWorker { try fixture.timerWorker(name: "sla-withdrawal-test") }

    private func newOrder() async throws -> Xsc_Orders_V1_Order {
        try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: fixture.leadO1)
    }

    private func reply(_ order: Xsc_Orders_V1_Order, by account: String = "lead-o1", at millis: Int64) -> Xsc_Orders_V1_AcknowledgeBySmsRequest {
        var request = Xsc_Orders_V1_AcknowledgeBySmsRequest()
        request.orderCode = order.code
        request.accountId = account
        request.repliedAtMs = millis
        return request
    }

    private func eventKinds(_ order: Xsc_Orders_V1_Order) async throws -> [String] {
        var request = Xsc_Orders_V1_ListOrderEventsRequest()
        request.orderId = order.id
        return try await fixture.flow.events(request, actor: fixture.admin).events.map(\.kind)
    }

    private func compliance(of account: String) async throws -> Xsc_Orders_V1_LeadCompliance? {
        var request = Xsc_Orders_V1_ReportRequest()
        request.fromMs = fixture.clock.nowMillis() - 3600_000
        request.toMs = fixture.clock.nowMillis() + 3600_000
        return try await fixture.flow.slaCompliance(request, actor: fixture.admin).rows.first { $0.accountId == account }
    }

    /// (event_id, withdrawn_at, withdrawal_event_id) of the order's violations, oldest first.
    private func violations(_ order: Xsc_Orders_V1_Order) async throws -> [(eventID: String, withdrawnAt: Int64?, withdrawalEventID: String?)] {
        let rows = try await fixture.pool.query("""
            SELECT event_id, withdrawn_at, withdrawal_event_id FROM sla_violations WHERE order_id = $1 ORDER BY id
            """, [.text(order.id)])
        return try rows.map { (try $0.decode(String.self, at: 0), try $0.decode(Int64?.self, at: 1), try $0.decode(String?.self, at: 2)) }
    }

    func testAnInTimeReplyDeliveredAfterTheMissWithdrawsIt() async throws {
        let timers = try worker()
        let order = try await newOrder()
        let dueAt = order.createdAtMs + 5_000
        let repliedAt = order.createdAtMs + 3_000
        // Orders is down when the lead replies and stays down past the deadline; back up, its
        // timer fires before notifications' retry brings the reply.
        fixture.clock.advance(by: .seconds(20))
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 1)
        let missed = try await compliance(of: "lead-o1")
        XCTAssertEqual(missed?.misses, 1, "the miss the timer recorded counts until the reply arrives")
        let escalated = try await fixture.smsRequests(forOrder: order.code).map(\.template)
        XCTAssertEqual(escalated, ["order_new_lead", "sla_escalation"], "the escalation SMS goes out (and cannot be taken back)")

        fixture.clock.advance(by: .seconds(10))
        let acknowledged = try await fixture.flow.acknowledgeBySms(reply(order, at: repliedAt), actor: fixture.system)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        XCTAssertEqual(acknowledged.updatedAtMs, repliedAt)

        let rows = try await violations(order)
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].withdrawnAt, fixture.clock.nowMillis())
        let recorded = try await fixture.outbox(Self.violationPath, as: Xsc_Orders_V1_SlaViolation.self)
        XCTAssertEqual(recorded.map(\.eventID), [rows[0].eventID], "the row keeps the id settlements knows the miss by")
        let withdrawals = try await fixture.outbox(Self.withdrawnPath, as: Xsc_Orders_V1_SlaViolationWithdrawn.self)
        XCTAssertEqual(withdrawals.count, 1)
        let (eventID, withdrawal) = try XCTUnwrap(withdrawals.first)
        XCTAssertEqual(withdrawal.eventId, eventID)
        XCTAssertEqual(rows[0].withdrawalEventID, eventID)
        XCTAssertEqual(withdrawal.violationEventId, recorded[0].eventID)
        XCTAssertEqual(withdrawal.orderId, order.id)
        XCTAssertEqual(withdrawal.orderCode, order.code)
        XCTAssertEqual(withdrawal.step, .acknowledge)
        XCTAssertEqual(withdrawal.stage, "确认接单")
        XCTAssertEqual(withdrawal.responsibleAccountIds, ["lead-o1"])
        XCTAssertEqual(withdrawal.dueAtMs, dueAt)
        XCTAssertEqual(withdrawal.doneAtMs, repliedAt)
        XCTAssertEqual(withdrawal.doneByAccountId, "lead-o1")
        XCTAssertEqual(withdrawal.withdrawnAtMs, fixture.clock.nowMillis())
        XCTAssertEqual(withdrawal.reason, .doneInTime)
        XCTAssertEqual(withdrawal.regionId, "cq")
        XCTAssertEqual(withdrawal.creditedTeamPath, OrdersFixture.cqTeam)
        XCTAssertTrue(withdrawal.detail.contains("2 s before the deadline"), withdrawal.detail)

        let told = try await fixture.smsRequests(forOrder: order.code)
        XCTAssertEqual(told.map(\.template), ["order_new_lead", "sla_escalation", "sla_escalation_withdrawn"])
        XCTAssertEqual(told[2].accountId, told[1].accountId, "the superior who was escalated to hears it was in time")
        XCTAssertEqual(told[2].params, ["code": order.code, "stage": "确认接单"])

        let kinds = try await eventKinds(order)
        XCTAssertEqual(kinds, ["submitted", "sla_violation", "acknowledged", "sla_violation_withdrawn"])
        let report = try await compliance(of: "lead-o1")
        XCTAssertEqual(report?.misses, 0)
        XCTAssertEqual(report?.withdrawnMisses, 1)
        XCTAssertEqual(report?.acknowledgements, 1)
        XCTAssertEqual(report?.p50AckMs, 3_000, "acknowledged 3 s after the prompt, when the lead replied")

        // Forwarding was impossible until orders knew of the acknowledgement: its deadline runs
        // from now, not from the reply (which would be over already and record a new miss).
        let assignDue = try await Timers(clock: fixture.clock.now).entry(pool: fixture.pool, kind: "order.assign_deadline", subjectID: order.id)
        XCTAssertEqual(assignDue?.dueAtMillis, fixture.clock.nowMillis() + 5_000)
        let firedAfter = try await timers.runOnce()
        XCTAssertEqual(firedAfter, 0)
    }

    func testARedeliveredAcknowledgementWithdrawsOnce() async throws {
        let timers = try worker()
        let order = try await newOrder()
        let request = reply(order, at: order.createdAtMs + 4_000)
        fixture.clock.advance(by: .seconds(60))
        _ = try await timers.runOnce()
        // The relay's redeliveries: two at once (one waits for the other's lock), then a late one.
        let system = try fixture.system
        let flow = fixture.flow
        async let first = flow.acknowledgeBySms(request, actor: system)
        async let second = flow.acknowledgeBySms(request, actor: system)
        let answers = try await [first, second]
        XCTAssertEqual(answers.map(\.state), [.acknowledged, .acknowledged])
        fixture.clock.advance(by: .seconds(1))
        let third = try await flow.acknowledgeBySms(request, actor: system)
        XCTAssertEqual(third.state, .acknowledged)

        let withdrawals = try await fixture.outbox(Self.withdrawnPath, as: Xsc_Orders_V1_SlaViolationWithdrawn.self)
        XCTAssertEqual(withdrawals.count, 1, "one withdrawal event however often the acknowledgement arrives")
        let kinds = try await eventKinds(order)
        XCTAssertEqual(kinds, ["submitted", "sla_violation", "acknowledged", "sla_violation_withdrawn"])
        let report = try await compliance(of: "lead-o1")
        XCTAssertEqual(report?.misses, 0)
        XCTAssertEqual(report?.withdrawnMisses, 1)
    }

    /// At the deadline counts as in time; a millisecond later does not.
    func testAReplyAfterTheDeadlineKeepsTheMiss() async throws {
        let timers = try worker()
        let onTime = try await newOrder()
        let late = try await newOrder()
        fixture.clock.advance(by: .seconds(30))
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 2)
        _ = try await fixture.flow.acknowledgeBySms(reply(late, at: late.createdAtMs + 5_001), actor: fixture.system)
        _ = try await fixture.flow.acknowledgeBySms(reply(onTime, at: onTime.createdAtMs + 5_000), actor: fixture.system)

        let lateRows = try await violations(late)
        XCTAssertEqual(lateRows.count, 1)
        XCTAssertNil(lateRows[0].withdrawnAt, "a reply after the deadline keeps the miss")
        XCTAssertNil(lateRows[0].withdrawalEventID)
        let onTimeRows = try await violations(onTime)
        XCTAssertNotNil(onTimeRows.first?.withdrawnAt)
        let withdrawals = try await fixture.outbox(Self.withdrawnPath, as: Xsc_Orders_V1_SlaViolationWithdrawn.self)
        XCTAssertEqual(withdrawals.map(\.message.orderId), [onTime.id])
        let lateKinds = try await eventKinds(late)
        XCTAssertEqual(lateKinds, ["submitted", "sla_violation", "acknowledged"])
        let report = try await compliance(of: "lead-o1")
        XCTAssertEqual(report?.misses, 1)
        XCTAssertEqual(report?.withdrawnMisses, 1)
    }

    func testAnInTimeReplyArrivingBeforeTheTimerFiresRecordsNoMiss() async throws {
        let timers = try worker()
        let order = try await newOrder()
        // Orders comes back long after the deadline, and the reply is delivered before the
        // timer worker's first round.
        fixture.clock.advance(by: .seconds(40))
        let acknowledged = try await fixture.flow.acknowledgeBySms(reply(order, at: order.createdAtMs + 2_000), actor: fixture.system)
        XCTAssertEqual(acknowledged.updatedAtMs, order.createdAtMs + 2_000)
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 0, "the acknowledgement deadline was cancelled; the forwarding one runs from now")

        let recorded = try await fixture.count("SELECT count(*) FROM sla_violations")
        XCTAssertEqual(recorded, 0)
        let violationEvents = try await fixture.outbox(Self.violationPath, as: Xsc_Orders_V1_SlaViolation.self)
        XCTAssertEqual(violationEvents.count, 0)
        let withdrawalEvents = try await fixture.outbox(Self.withdrawnPath, as: Xsc_Orders_V1_SlaViolationWithdrawn.self)
        XCTAssertEqual(withdrawalEvents.count, 0)
        let sms = try await fixture.smsRequests(forOrder: order.code).map(\.template)
        XCTAssertEqual(sms, ["order_new_lead"], "nobody was escalated to")
        let kinds = try await eventKinds(order)
        XCTAssertEqual(kinds, ["submitted", "acknowledged"])
        let report = try await compliance(of: "lead-o1")
        XCTAssertEqual(report?.misses, 0)
        XCTAssertEqual(report?.withdrawnMisses, 0)
    }

    func testALateReplyArrivingBeforeTheTimerFiresIsStillAMiss() async throws {
        let timers = try worker()
        let order = try await newOrder()
        // The deadline passed 6 s before the reply; the timer worker has not had its round yet.
        fixture.clock.advance(by: .seconds(40))
        let acknowledged = try await fixture.flow.acknowledgeBySms(reply(order, at: order.createdAtMs + 11_000), actor: fixture.system)
        XCTAssertEqual(acknowledged.state, .acknowledged, "a late acknowledgement still works")
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 0, "the miss was recorded with the acknowledgement; the timer is gone")

        let rows = try await violations(order)
        XCTAssertEqual(rows.count, 1)
        XCTAssertNil(rows.first?.withdrawnAt)
        let violationEvents = try await fixture.outbox(Self.violationPath, as: Xsc_Orders_V1_SlaViolation.self)
        XCTAssertEqual(violationEvents.map(\.message.orderId), [order.id])
        let sms = try await fixture.smsRequests(forOrder: order.code).map(\.template)
        XCTAssertEqual(sms, ["order_new_lead"], "done now: no superior is sent to chase it")
        let kinds = try await eventKinds(order)
        XCTAssertEqual(kinds, ["submitted", "sla_violation", "acknowledged"])
        let report = try await compliance(of: "lead-o1")
        XCTAssertEqual(report?.misses, 1)
    }

    /// The district lead's step: its in-time reply withdraws its own miss, not the office lead's
    /// earlier one (that reply came late).
    func testOnlyTheMissOfTheStepDoneInTimeIsWithdrawn() async throws {
        let timers = try worker()
        let order = try await newOrder()
        fixture.clock.advance(by: .seconds(6))
        _ = try await timers.runOnce()
        _ = try await fixture.flow.acknowledgeBySms(reply(order, at: fixture.clock.nowMillis()), actor: fixture.system)
        _ = try await fixture.flow.assign(orderID: order.id, assignee: "dlead-d3", kind: .districtLead, actor: fixture.leadO1)
        let forwardedAt = fixture.clock.nowMillis()
        fixture.clock.advance(by: .seconds(30))
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 1, "the district lead's acknowledgement deadline")
        let acknowledged = try await fixture.flow.acknowledgeBySms(reply(order, by: "dlead-d3", at: forwardedAt + 1_000), actor: fixture.system)
        XCTAssertEqual(acknowledged.state, .acknowledged)
        XCTAssertEqual(acknowledged.acknowledgedBy, "dlead-d3")

        let rows = try await violations(order)
        XCTAssertEqual(rows.count, 2)
        XCTAssertNil(rows[0].withdrawnAt, "the office lead replied after its deadline")
        XCTAssertNotNil(rows[1].withdrawnAt)
        let withdrawals = try await fixture.outbox(Self.withdrawnPath, as: Xsc_Orders_V1_SlaViolationWithdrawn.self)
        XCTAssertEqual(withdrawals.map(\.message.responsibleAccountIds), [["dlead-d3"]])
        XCTAssertEqual(withdrawals.map(\.message.violationEventId), [rows[1].eventID])
        let office = try await compliance(of: "lead-o1")
        XCTAssertEqual(office?.misses, 1)
        let district = try await compliance(of: "dlead-d3")
        XCTAssertEqual(district?.misses, 0)
        XCTAssertEqual(district?.withdrawnMisses, 1)
    }
}
