import DomainKit
import Messages
import Postgres
import RPC
@testable import Settlements
import ServiceKitStore
import XCTest

final class StatementTests: XCTestCase {
    var fixture: SettlementsFixture!

    override func setUp() async throws {
        fixture = try await SettlementsFixture.make(self)
        try await fixture.seedRules(percentBP: 1000, perUnit: [:], level2BP: 1000)
        try await fixture.setRecruiter("ref-1", "rec-1")
    }

    override func tearDown() async throws { fixture?.close() }

    func visit(_ order: String, at millis: Int64, fen: Int64, referrer: String = "ref-1", dealer: String = "dealer-1") async throws {
        _ = try await fixture.flow.recordVisited(fixture.visited(order, at: millis, referrer: referrer, dealer: dealer,
                                                                 lines: [("bj-250", 1, fen)]), actor: try fixture.system)
    }

    func testCloseTwiceAndConcurrentlyGivesOneStatementEqualToItsLines() async throws {
        for index in 0..<20 {
            try await visit("o\(index)", at: fixture.w48.startMillis + Int64(index) * 3_600_000, fen: 10_005 + Int64(index),
                            dealer: index % 2 == 0 ? "dealer-1" : "dealer-2")
        }
        fixture.set(to: fixture.w48.endMillis + 1)
        // Four closers at once (as four replicas would): one closes, the others change nothing.
        let results = try await withThrowingTaskGroup(of: Xsc_Settlements_V1_CloseWeekResponse.self) { group in
            for _ in 0..<4 { group.addTask { try await self.fixture.closeWeek(self.fixture.w48) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.filter(\.closedNow).count, 1)
        XCTAssertEqual(Set(results.map(\.statements)), [4])
        let again = try await fixture.closeWeek(fixture.w48)
        XCTAssertFalse(again.closedNow)
        let statements = try await fixture.statements(week: fixture.w48)
        XCTAssertEqual(statements.count, 4)  // (dealer-1, dealer-2) x (ref-1, rec-1)
        let value1 = try await fixture.totalMismatches()
        XCTAssertEqual(value1, 0)
        let ref1 = try await fixture.statement(week: fixture.w48, payee: "ref-1")!
        XCTAssertEqual(ref1.totalFen, ref1.lines.reduce(0) { $0 + $1.amountFen })
        XCTAssertEqual(ref1.lines.count, 10)
    }

    func testDatabaseRefusesATotalThatIsNotTheSumOfItsLines() async throws {
        try await visit("o1", at: fixture.w48.startMillis + 1_000, fen: 10_000)
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        let id = try await fixture.statement(week: fixture.w48, payee: "ref-1")!.statementId
        do {
            _ = try await fixture.pool.execute("UPDATE statements SET total_fen = total_fen + 1 WHERE id = $1", [.text(id)])
            XCTFail("the database accepted a changed total")
        } catch let error as PostgresError {
            XCTAssertEqual(error.sqlState, "23514")
        }
        do {
            _ = try await fixture.pool.execute("""
                UPDATE reward_lines l SET amount_fen = 1 FROM statements s
                WHERE s.id = $1 AND l.period_start = s.period_start AND l.payee_account_id = s.payee_account_id
                """, [.text(id)])
            XCTFail("the database accepted a changed line")
        } catch let error as PostgresError {
            XCTAssertEqual(error.sqlState, "23514")
        }
        // Nor a deleted line, or a running total written by hand.
        for sql in ["DELETE FROM reward_lines", "TRUNCATE reward_lines", "UPDATE week_totals SET total_fen = 0",
                    "INSERT INTO week_totals VALUES (now(), 'd', 'p', 'cq', 1, 1)"] {
            do {
                _ = try await fixture.pool.execute(sql)
                XCTFail("the database accepted: \(sql)")
            } catch let error as PostgresError {
                XCTAssertEqual(error.sqlState, "23514", sql)
            }
        }
        // Nor a new line in the closed week (the flow books a late one into the next week).
        do {
            _ = try await fixture.pool.execute("""
                INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
                    payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
                SELECT 'sneak', 'reward', 1, 'sneak', 'sneak', 'sneak', region_id, dealer_account_id, payee_account_id,
                    0, 1, 1, period_start, period_start, period_start FROM statements WHERE id = $1
                """, [.text(id)])
            XCTFail("the database accepted a line in a closed week")
        } catch let error as PostgresError {
            XCTAssertEqual(error.sqlState, "23514")
        }
    }

    func testSignPayArchiveAndSignedRefusesChanges() async throws {
        try await visit("o1", at: fixture.w48.startMillis + 1_000, fen: 10_000)
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        let id = try await fixture.statement(week: fixture.w48, payee: "ref-1")!.statementId
        // Not the region's manager: refused; another region's manager does not even see it.
        await XCTAssertRPCError(.permissionDenied) { try await self.fixture.flow.signStatement(id, actor: try self.fixture.dealer1) }
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.signStatement(id, actor: try self.fixture.managerSC) }
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.getStatement(id, actor: try self.fixture.intermediary("ref-2")) }
        // Paying before the signature is refused.
        var payment = Xsc_Settlements_V1_RecordPaymentRequest()
        payment.statementId = id
        payment.paymentReference = "BANK-001"
        payment.paidOnMs = fixture.clock.nowMillis()
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.recordPayment(payment, actor: try self.fixture.dealer1) }

        let signed = try await fixture.flow.signStatement(id, actor: try fixture.managerCQ).statement!
        XCTAssertEqual(signed.state, .signed)
        let value2 = try await fixture.flow.myEarnings(.init(), actor: try fixture.intermediary("ref-1")).approvedFen
        XCTAssertEqual(value2, 1_000)
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.signStatement(id, actor: try self.fixture.managerCQ) }
        // Another dealer does not even see it.
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.recordPayment(payment, actor: try self.fixture.dealer2) }
        // The dealer sees it due on Monday.
        let due = try await fixture.flow.dealerDue(actor: try fixture.dealer1)
        XCTAssertEqual(due.dueFen, 1_000)

        let paid = try await fixture.flow.recordPayment(payment, actor: try fixture.dealer1, idempotencyKey: "pay-1").statement!
        XCTAssertEqual(paid.state, .paid)
        // The dealer's retry with its key gets the same answer; without one, "already paid".
        let retried = try await fixture.flow.recordPayment(payment, actor: try fixture.dealer1, idempotencyKey: "pay-1").statement!
        XCTAssertEqual(retried.paymentReference, paid.paymentReference)
        XCTAssertEqual(paid.paymentReference, "BANK-001")
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.recordPayment(payment, actor: try self.fixture.dealer1) }
        let value3 = try await fixture.flow.myEarnings(.init(), actor: try fixture.intermediary("ref-1")).paidFen
        XCTAssertEqual(value3, 1_000)
        // The payee was told twice by SMS (through the outbox to notifications).
        let sms = try await fixture.pool.query("""
            SELECT payload FROM xsc_outbox WHERE destination = 'notifications' ORDER BY created_at, event_id
            """).map { try Xsc_Notifications_V1_SendRequest(serializedBytes: try $0.decode([UInt8].self, column: "payload")) }
        XCTAssertEqual(sms.map(\.template).sorted(), ["reward_approved", "reward_paid"])
        XCTAssertEqual(Set(sms.map(\.accountId)), ["ref-1"])
        XCTAssertEqual(sms.first { $0.template == "reward_paid" }?.params["reference"], "BANK-001")
        XCTAssertEqual(sms.first { $0.template == "reward_paid" }?.params["amount"], "¥10.00")
        let archived = try await fixture.flow.archiveStatement(id, actor: try fixture.managerCQ).statement!
        XCTAssertEqual(archived.state, .archived)
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.flow.archiveStatement(id, actor: try self.fixture.managerCQ) }
        // A late order of the closed week goes to the next open week, not onto the archived statement.
        try await visit("late", at: fixture.w48.startMillis + 2_000, fen: 10_000)
        let after = try await fixture.flow.getStatement(id, actor: try fixture.managerCQ).statement!
        XCTAssertEqual(after.lines.count, 1)
        fixture.set(to: fixture.w49.endMillis + 1)
        try await fixture.closeWeek(fixture.w49)
        let value4 = try await fixture.statement(week: fixture.w49, payee: "ref-1")?.lines.map(\.orderCode)
        XCTAssertEqual(value4, ["C-late"])
    }

    func testRefundAfterSigningClawsBackBothLevelsAndCarriesANegativeBalance() async throws {
        try await visit("big", at: fixture.w48.startMillis + 1_000, fen: 100_000)   // ref-1: 10,000; rec-1: 1,000
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        for payee in ["ref-1", "rec-1"] {
            let id = try await fixture.statement(week: fixture.w48, payee: payee)!.statementId
            _ = try await fixture.flow.signStatement(id, actor: try fixture.managerCQ)
        }
        // Refunded in W49, while W49 also brings a small order: the payee's W49 total is negative.
        try await visit("small", at: fixture.w49.startMillis + 1_000, fen: 20_000)    // ref-1: 2,000; rec-1: 200
        _ = try await fixture.flow.recordRefunded(fixture.refunded("big", at: fixture.w49.startMillis + 2_000), actor: try fixture.system)
        // A redelivered refund claws back nothing twice.
        let again = fixture.refunded("big", at: fixture.w49.startMillis + 2_000)
        _ = try await fixture.flow.recordRefunded(again, actor: try fixture.system)

        let signedW48 = try await fixture.statement(week: fixture.w48, payee: "ref-1")!
        XCTAssertEqual(signedW48.totalFen, 10_000)   // untouched
        fixture.set(to: fixture.w49.endMillis + 1)
        try await fixture.closeWeek(fixture.w49)
        let w49 = try await fixture.statement(week: fixture.w49, payee: "ref-1")!
        XCTAssertEqual(w49.lines.map(\.amountFen).sorted(), [-10_000, 2_000])
        XCTAssertEqual(w49.totalFen, -8_000)
        XCTAssertEqual(w49.payableFen, 0)
        XCTAssertEqual(w49.carriedForwardFen, -8_000)
        let level2 = try await fixture.statement(week: fixture.w49, payee: "rec-1")!
        XCTAssertEqual(level2.totalFen, -800)

        // W50: 15,000 fen of reward nets the carried -8,000.
        try await visit("w50", at: fixture.w50.startMillis + 1_000, fen: 150_000)
        fixture.set(to: fixture.w50.endMillis + 1)
        try await fixture.closeWeek(fixture.w50)
        let w50 = try await fixture.statement(week: fixture.w50, payee: "ref-1")!
        XCTAssertEqual(w50.lines.map(\.kind).sorted { $0.rawValue < $1.rawValue }, [.reward, .carryForward])
        XCTAssertEqual(w50.totalFen, 7_000)
        XCTAssertEqual(w50.payableFen, 7_000)
        let value5 = try await fixture.totalMismatches()
        XCTAssertEqual(value5, 0)
    }

    func testMondayTimerClosesTheWeekThatEnded() async throws {
        fixture.set(to: fixture.w48.startMillis + 3_600_000)
        try await fixture.flow.ensureTimers()
        try await visit("o1", at: fixture.w48.startMillis + 1_000, fen: 10_000)
        // A late line of a week before the first timer (never closed): closed on the Monday too.
        try await visit("old", at: fixture.w48.startMillis - 86_400_000, fen: 10_000)
        let worker = try TimerWorker(pool: fixture.pool, handlers: fixture.flow.timerHandlers, clock: fixture.clock.now)
        let value6 = try await worker.runOnce()
        XCTAssertEqual(value6, 0)  // not Monday yet
        fixture.set(to: fixture.w48.endMillis)
        let value7 = try await worker.runOnce()
        XCTAssertEqual(value7, 1)
        let value8 = try await fixture.statements(week: fixture.w48).count
        XCTAssertEqual(value8, 2)
        let w47 = try await fixture.statement(week: fixture.calendar.week(before: fixture.w48), payee: "ref-1")
        XCTAssertEqual(w47?.lines.map(\.orderCode), ["C-old"])
        // The next one is due the Monday after.
        let next = try await Timers(clock: fixture.clock.now).entry(pool: fixture.pool, kind: SettlementFlow.weeklyCloseKind, subjectID: "weekly")
        XCTAssertEqual(next?.dueAtMillis, fixture.w49.endMillis)
        XCTAssertEqual(next?.state, .pending)
    }

    func testCSVExport() async throws {
        try await visit("o1", at: fixture.w48.startMillis + 1_000, fen: 10_000)
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        var request = Xsc_Settlements_V1_ExportStatementRequest()
        request.statementId = try await fixture.statement(week: fixture.w48, payee: "ref-1")!.statementId
        request.format = .csv
        let csv = try await fixture.flow.exportStatement(request, actor: try fixture.managerCQ)
        let text = String(decoding: csv.content, as: UTF8.self)
        XCTAssertTrue(text.contains("C-o1"), text)
        XCTAssertTrue(text.contains("合计,¥10.00"), text)
    }
}

extension StatementTests {
    /// A week closed before its end (on demand, e.g. the drill): a close without `before_end` is
    /// refused, and what accrues in the week afterwards goes into the next one.
    func testEarlyCloseBooksLaterLinesIntoTheNextWeek() async throws {
        fixture.set(to: fixture.w48.startMillis + 3 * 86_400_000)
        try await visit("early", at: fixture.clock.nowMillis() - 1_000, fen: 10_000)
        await XCTAssertRPCError(.failedPrecondition) { try await self.fixture.closeWeek(self.fixture.w48) }
        var request = Xsc_Settlements_V1_CloseWeekRequest()
        request.week = fixture.w48.name
        request.beforeEnd = true
        let closed = try await fixture.flow.closeWeek(request, actor: try fixture.managerCQ)
        XCTAssertTrue(closed.closedNow)
        try await visit("after", at: fixture.clock.nowMillis() + 1_000, fen: 10_000)
        let early = try await fixture.statement(week: fixture.w48, payee: "ref-1")
        XCTAssertEqual(early?.lines.map(\.orderCode), ["C-early"])
        let pending = try await fixture.flow.myEarnings(.init(), actor: try fixture.intermediary("ref-1"))
        XCTAssertEqual(pending.lines.first { $0.line?.orderCode == "C-after" }?.week, fixture.w49.name)
    }
}

extension StatementTests {
    /// The dealer's week as printed: every payee's lines and subtotal, the total to pay; only
    /// the dealer and the region's readers get it.
    func testDealerWeekDocument() async throws {
        try await visit("o1", at: fixture.w48.startMillis + 1_000, fen: 10_000)
        try await visit("o2", at: fixture.w48.startMillis + 2_000, fen: 20_000, referrer: "ref-2")
        try await visit("o3", at: fixture.w48.startMillis + 3_000, fen: 30_000, dealer: "dealer-2")
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        var request = Xsc_Settlements_V1_ExportDealerWeekRequest()
        request.week = fixture.w48.name
        request.dealerAccountId = "dealer-1"
        request.format = .csv
        let csv = try await fixture.flow.exportDealerWeek(request, actor: try fixture.dealer1)
        let text = String(decoding: csv.content.dropFirst(3), as: UTF8.self)
        XCTAssertTrue(text.contains("C-o1") && text.contains("C-o2") && !text.contains("C-o3"), text)
        // ref-1 1,000 + rec-1 100 + ref-2 2,000 fen.
        XCTAssertTrue(text.contains("本周应付合计,¥31.00"), text)
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.exportDealerWeek(request, actor: try self.fixture.intermediary("ref-1")) }
        await XCTAssertRPCError(.notFound) { try await self.fixture.flow.exportDealerWeek(request, actor: try self.fixture.dealer2) }
        request.format = .pdf
        let pdf = try await fixture.flow.exportDealerWeek(request, actor: try fixture.managerCQ)
        XCTAssertEqual(Array(pdf.content.prefix(5)), Array("%PDF-".utf8))
    }
}
