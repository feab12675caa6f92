import DomainKit
import Messages
import RPC
@testable import Settlements
import XCTest

final class AccrualTests: XCTestCase {
    var fixture: SettlementsFixture!

    override func setUp() async throws {
        fixture = try await SettlementsFixture.make(self)
        try await fixture.seedRules()
    }

    override func tearDown() async throws { fixture?.close() }

    func earnings(_ id: String) async throws -> Xsc_Settlements_V1_GetMyEarningsResponse {
        try await fixture.flow.myEarnings(Xsc_Settlements_V1_GetMyEarningsRequest(), actor: try fixture.intermediary(id))
    }

    func testTwoLevelsPercentAndPerUnitOncePerEvent() async throws {
        try await fixture.setRecruiter("ref-1", "rec-1")
        let event = fixture.visited("o1", at: fixture.w48.startMillis + 86_400_000, referrer: "ref-1",
                                    lines: [("bj-500", 3, 12_800), ("bj-250", 1, 6_800)])
        let first = try await fixture.flow.recordVisited(event, actor: try fixture.system)
        XCTAssertTrue(first.applied)
        // Redelivery of the same event, and a second event for the same order: nothing twice.
        let value1 = try await fixture.flow.recordVisited(event, actor: try fixture.system).applied
        XCTAssertFalse(value1)
        var twin = event
        twin.eventId = fixture.nextEventID()
        _ = try await fixture.flow.recordVisited(twin, actor: try fixture.system)

        let level1 = try await earnings("ref-1")
        XCTAssertEqual(level1.pendingFen, 1_500 + 204)
        XCTAssertEqual(level1.lines.map { $0.line?.orderCode ?? "" }, ["C-o1"])
        let level2 = try await earnings("rec-1")
        XCTAssertEqual(level2.pendingFen, 170)
        XCTAssertEqual(level2.lines.first?.line?.level, 2)
    }

    func testWeekAcrossSundayMidnightInShanghai() async throws {
        // Sunday 23:59:59.999 Shanghai belongs to W48, Monday 00:00 to W49.
        _ = try await fixture.flow.recordVisited(fixture.visited("late-sunday", at: fixture.w48.endMillis - 1, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 10_000)]), actor: try fixture.system)
        _ = try await fixture.flow.recordVisited(fixture.visited("monday", at: fixture.w49.startMillis, referrer: "ref-1",
                                                                 lines: [("bj-250", 2, 10_000)]), actor: try fixture.system)
        fixture.set(to: fixture.w49.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        try await fixture.closeWeek(fixture.w49)
        let s48 = try await fixture.statement(week: fixture.w48, payee: "ref-1")
        let s49 = try await fixture.statement(week: fixture.w49, payee: "ref-1")
        XCTAssertEqual(s48?.lines.map(\.orderCode), ["C-late-sunday"])
        XCTAssertEqual(s48?.totalFen, 300)
        XCTAssertEqual(s49?.lines.map(\.orderCode), ["C-monday"])
        XCTAssertEqual(s49?.totalFen, 600)
        // Sunday 16:00 UTC is Monday 00:00 in Shanghai: the UTC week would have put it in W48.
        XCTAssertEqual(fixture.calendar.week(containing: fixture.w49.startMillis).name, "2026-W49")
    }

    func testBoundIntermediaryWhenNoReferrerAndRetryWhenNoAnswer() async throws {
        fixture.bindings.bound["13900000001"] = "ref-bound"
        _ = try await fixture.flow.recordVisited(fixture.visited("b1", at: fixture.w48.startMillis + 1_000, phone: "13900000001",
                                                                 lines: [("bj-250", 1, 10_000)]), actor: try fixture.system)
        let value2 = try await earnings("ref-bound").pendingFen
        XCTAssertEqual(value2, 300)

        fixture.bindings.unavailable.insert("13900000002")
        let waiting = fixture.visited("b2", at: fixture.w48.startMillis + 1_000, phone: "13900000002", lines: [("bj-250", 1, 10_000)])
        await XCTAssertRPCError(.unavailable) { try await self.fixture.flow.recordVisited(waiting, actor: try self.fixture.system) }
        // The redelivery after customers answers is applied (the failed try recorded nothing).
        fixture.bindings.unavailable.remove("13900000002")
        fixture.bindings.bound["13900000002"] = "ref-later"
        let value3 = try await fixture.flow.recordVisited(waiting, actor: try fixture.system).applied
        XCTAssertTrue(value3)
        let value4 = try await earnings("ref-later").pendingFen
        XCTAssertEqual(value4, 300)
    }

    func testRulesAreNeverRetroactive() async throws {
        var request = Xsc_Settlements_V1_SetRewardRuleRequest()
        request.regionId = "cq"
        request.percentBasisPoints = 500
        request.effectiveFromMs = fixture.clock.nowMillis() - 1
        await XCTAssertRPCError(.invalidArgument) {
            try await self.fixture.flow.setRewardRule(request, actor: try self.fixture.managerCQ, idempotencyKey: "k1")
        }
        // A new version from tomorrow leaves today's orders on version 1.
        request.effectiveFromMs = fixture.clock.nowMillis() + 86_400_000
        let v2 = try await fixture.flow.setRewardRule(request, actor: try fixture.managerCQ, idempotencyKey: "k2")
        XCTAssertEqual(v2.version, 2)
        _ = try await fixture.flow.recordVisited(fixture.visited("today", at: fixture.clock.nowMillis() + 1_000, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 10_000)]), actor: try fixture.system)
        _ = try await fixture.flow.recordVisited(fixture.visited("tomorrow", at: fixture.clock.nowMillis() + 2 * 86_400_000, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 10_000)]), actor: try fixture.system)
        let value5 = try await earnings("ref-1").lines.map { $0.line?.amountFen ?? 0 }.sorted()
        XCTAssertEqual(value5, [300, 500])
        // Only the region's regional manager sets its rules.
        request.regionId = "sc"
        await XCTAssertRPCError(.permissionDenied) {
            try await self.fixture.flow.setRewardRule(request, actor: try self.fixture.dealer1, idempotencyKey: "k3")
        }
    }

    func testPromotionOrdersEarnNoReward() async throws {
        var event = fixture.visited("promo", at: fixture.w48.startMillis + 1_000, referrer: "ref-1", lines: [("bj-250", 1, 10_000)])
        event.promotionPlanId = "plan-1"
        _ = try await fixture.flow.recordVisited(event, actor: try fixture.system)
        let value6 = try await earnings("ref-1").pendingFen
        XCTAssertEqual(value6, 0)
    }

    func testEventsOnlyFromServices() async throws {
        let event = fixture.visited("x", at: fixture.w48.startMillis, referrer: "ref-1", lines: [("bj-250", 1, 10_000)])
        await XCTAssertRPCError(.permissionDenied) { try await self.fixture.flow.recordVisited(event, actor: try self.fixture.managerCQ) }
    }
}

extension AccrualTests {
    /// The recruiter relation: set by a regional manager or team admin, refused to others, every
    /// change audited; level 2 follows the relation at the time of the visit.
    func testRecruiterIsAuditedAndOnlyAdminsSetIt() async throws {
        for id in ["ref-1", "rec-1", "rec-2"] { try await fixture.announce(id) }
        try await fixture.announce("ref-other", node: "/hq/cq/cq-o1/cq-o1-d3/t8")
        var request = Xsc_Settlements_V1_SetRecruiterRequest()
        request.intermediaryAccountId = "ref-other"
        request.recruiterAccountId = "rec-1"
        // Another team's intermediary: not found for this team admin (the region's manager may).
        await XCTAssertRPCError(.notFound) {
            try await self.fixture.flow.setRecruiter(request, actor: try self.fixture.teamAdmin, idempotencyKey: "rx")
        }
        _ = try await fixture.flow.setRecruiter(request, actor: try fixture.managerCQ, idempotencyKey: "ry")
        request.intermediaryAccountId = "ref-1"
        await XCTAssertRPCError(.permissionDenied) {
            try await self.fixture.flow.setRecruiter(request, actor: try self.fixture.intermediary("ref-1"), idempotencyKey: "r0")
        }
        _ = try await fixture.flow.setRecruiter(request, actor: try fixture.teamAdmin, idempotencyKey: "r1")
        _ = try await fixture.flow.recordVisited(fixture.visited("a", at: fixture.w48.startMillis + 1_000, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 100_000)]), actor: try fixture.system)
        request.recruiterAccountId = "rec-2"
        _ = try await fixture.flow.setRecruiter(request, actor: try fixture.managerCQ, idempotencyKey: "r2")
        _ = try await fixture.flow.recordVisited(fixture.visited("b", at: fixture.w48.startMillis + 2_000, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 100_000)]), actor: try fixture.system)
        let first = try await earnings("rec-1")
        let second = try await earnings("rec-2")
        XCTAssertEqual(first.lines.map { $0.line?.orderCode ?? "" }, ["C-a"])
        XCTAssertEqual(second.lines.map { $0.line?.orderCode ?? "" }, ["C-b"])
        let audit = try await fixture.pool.query("""
            SELECT old_recruiter_account_id || '>' || new_recruiter_account_id || ' by ' || set_by AS change
            FROM recruiter_audit ORDER BY id
            """).map { try $0.decode(String.self, column: "change") }
        XCTAssertEqual(audit, [">rec-1 by rm-cq", ">rec-1 by admin-t7", "rec-1>rec-2 by rm-cq"])
    }

    /// A payee lists only its own statements; a region reader lists the region's.
    func testStatementListsAreScoped() async throws {
        _ = try await fixture.flow.recordVisited(fixture.visited("a", at: fixture.w48.startMillis + 1_000, referrer: "ref-1",
                                                                 lines: [("bj-250", 1, 100_000)]), actor: try fixture.system)
        _ = try await fixture.flow.recordVisited(fixture.visited("b", at: fixture.w48.startMillis + 1_000, referrer: "ref-2",
                                                                 lines: [("bj-250", 1, 100_000)]), actor: try fixture.system)
        fixture.set(to: fixture.w48.endMillis + 1)
        try await fixture.closeWeek(fixture.w48)
        let own = try await fixture.flow.listStatements(.init(), actor: try fixture.intermediary("ref-1")).statements
        XCTAssertEqual(own.map(\.payeeAccountId), ["ref-1"])
        let region = try await fixture.flow.listStatements(.init(), actor: try fixture.managerCQ).statements
        XCTAssertEqual(Set(region.map(\.payeeAccountId)), ["ref-1", "ref-2"])
        let other = try await fixture.flow.listStatements(.init(), actor: try fixture.managerSC).statements
        XCTAssertEqual(other.count, 0)
    }
}

extension AccrualTests {
    /// Keyset paging: a payee paging its lines while a new one accrues sees every older line
    /// once; a cursor this service did not hand out is INVALID_ARGUMENT.
    func testEarningsPagesAreStableWhileLinesArrive() async throws {
        for index in 0..<5 {
            _ = try await fixture.flow.recordVisited(fixture.visited("p\(index)", at: fixture.w48.startMillis + Int64(index) * 60_000,
                                                                     referrer: "ref-1", lines: [("bj-250", 1, 10_000)]),
                                                     actor: try fixture.system)
        }
        var request = Xsc_Settlements_V1_GetMyEarningsRequest()
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 2
        request.page = page
        var seen: [String] = []
        while true {
            let answer = try await fixture.flow.myEarnings(request, actor: try fixture.intermediary("ref-1"))
            seen += answer.lines.map { $0.line?.orderCode ?? "" }
            if seen.count == 2 {  // a newer line arrives between pages
                _ = try await fixture.flow.recordVisited(fixture.visited("new", at: fixture.w48.startMillis + 3_600_000,
                                                                         referrer: "ref-1", lines: [("bj-250", 1, 10_000)]),
                                                         actor: try fixture.system)
            }
            guard let next = answer.page?.nextCursor, !next.isEmpty else { break }
            page.cursor = next
            request.page = page
        }
        XCTAssertEqual(seen, ["C-p4", "C-p3", "C-p2", "C-p1", "C-p0"])
        page.cursor = "bm90IG91cnM"
        request.page = page
        await XCTAssertRPCError(.invalidArgument) { try await self.fixture.flow.myEarnings(request, actor: try self.fixture.intermediary("ref-1")) }
    }
}
