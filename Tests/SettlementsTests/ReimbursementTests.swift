import Messages
import ServiceKitStore
@testable import Settlements
import XCTest

/// Promotion-expense orders: no reward; the region's advance is reimbursed per quarter with the
/// same sign-off (regional manager) and a payment record (HQ); a refunded advance is not owed.
final class ReimbursementTests: XCTestCase {
    var fixture: SettlementsFixture!

    override func setUp() async throws {
        fixture = try await SettlementsFixture.make(self)
        try await fixture.seedRules()
    }

    override func tearDown() async throws { fixture?.close() }

    func advance(_ order: String, fen: Int64) async throws {
        var event = fixture.visited(order, at: fixture.w48.startMillis + 1_000, referrer: "ref-1", lines: [("bj-250", 1, fen)])
        event.promotionPlanId = "plan-1"
        event.reimbursementQuarter = "2026Q4"
        _ = try await fixture.flow.recordVisited(event, actor: try fixture.system)
    }

    func testQuarterReimbursementSignedAndPaid() async throws {
        try await advance("p1", fen: 50_000)
        try await advance("p2", fen: 30_000)
        try await advance("p3", fen: 7_000)
        _ = try await fixture.flow.recordRefunded(fixture.refunded("p3", at: fixture.w48.startMillis + 2_000), actor: try fixture.system)
        let admin = try fixture.actor("hq-admin", .admin, team: "/hq", domainRole: "hq_admin")
        var close = Xsc_Settlements_V1_CloseQuarterRequest()
        close.quarter = "2026Q4"
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.closeQuarter(close, actor: admin) }
        fixture.set(to: fixture.calendar.quarterRange("2026Q4")!.endMillis)
        let first = try await fixture.flow.closeQuarter(close, actor: admin)
        XCTAssertTrue(first.closedNow)
        let second = try await fixture.flow.closeQuarter(close, actor: admin)
        XCTAssertFalse(second.closedNow)

        var list = Xsc_Settlements_V1_ListReimbursementsRequest()
        list.quarter = "2026Q4"
        let listed = try await fixture.flow.listReimbursements(list, actor: try fixture.managerCQ).reimbursements
        XCTAssertEqual(listed.map(\.totalFen), [80_000])
        XCTAssertEqual(listed.first?.orderCount, 2)
        let id = listed[0].reimbursementId
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.signReimbursement(id, actor: try self.fixture.managerSC) }
        let signed = try await fixture.flow.signReimbursement(id, actor: try fixture.managerCQ)
        XCTAssertEqual(signed.state, .signed)
        var pay = Xsc_Settlements_V1_RecordReimbursementPaymentRequest()
        pay.reimbursementId = id
        pay.paymentReference = "HQ-2027-001"
        pay.paidOnMs = fixture.clock.nowMillis()
        let paid = try await fixture.flow.recordReimbursementPayment(pay, actor: admin)
        XCTAssertEqual(paid.state, .paid)
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.recordReimbursementPayment(pay, actor: admin) }
        // No reward for promotion orders.
        let value = try await fixture.flow.myEarnings(.init(), actor: try fixture.intermediary("ref-1"))
        XCTAssertEqual(value.pendingFen, 0)
    }
}

extension ReimbursementTests {
    /// A promotion order refunded after its quarter was reimbursed: a negative advance in the
    /// quarter of the refund.
    func testRefundAfterReimbursementIsNettedNextQuarter() async throws {
        try await advance("p1", fen: 50_000)
        let admin = try fixture.actor("hq-admin", .admin, team: "/hq", domainRole: "hq_admin")
        fixture.set(to: fixture.calendar.quarterRange("2026Q4")!.endMillis + 1_000)
        var close = Xsc_Settlements_V1_CloseQuarterRequest()
        close.quarter = "2026Q4"
        _ = try await fixture.flow.closeQuarter(close, actor: admin)
        _ = try await fixture.flow.recordRefunded(fixture.refunded("p1", at: fixture.clock.nowMillis()), actor: try fixture.system)
        fixture.set(to: fixture.calendar.quarterRange("2027Q1")!.endMillis)
        close.quarter = "2027Q1"
        _ = try await fixture.flow.closeQuarter(close, actor: admin)
        var list = Xsc_Settlements_V1_ListReimbursementsRequest()
        list.quarter = "2027Q1"
        let next = try await fixture.flow.listReimbursements(list, actor: try fixture.managerCQ).reimbursements
        XCTAssertEqual(next.map(\.totalFen), [-50_000])
    }
}

extension ReimbursementTests {
    /// The quarterly timer closes the quarter that ended, as HQ's CloseQuarter would.
    func testQuarterTimerClosesTheQuarterThatEnded() async throws {
        try await fixture.flow.ensureTimers()
        try await advance("p1", fen: 50_000)
        let worker = try TimerWorker(pool: fixture.pool, handlers: fixture.flow.timerHandlers, clock: fixture.clock.now)
        fixture.set(to: fixture.calendar.quarterRange("2026Q4")!.endMillis)
        _ = try await worker.runOnce()
        _ = try await worker.runOnce()
        var list = Xsc_Settlements_V1_ListReimbursementsRequest()
        list.quarter = "2026Q4"
        let listed = try await fixture.flow.listReimbursements(list, actor: try fixture.managerCQ).reimbursements
        XCTAssertEqual(listed.map(\.totalFen), [50_000])
        let next = try await Timers(clock: fixture.clock.now).entry(pool: fixture.pool, kind: SettlementFlow.quarterlyCloseKind,
                                                                    subjectID: "quarterly")
        XCTAssertEqual(next?.dueAtMillis, fixture.calendar.quarterRange("2027Q1")!.endMillis)
    }
}
