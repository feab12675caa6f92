import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import Settlements
import XSCTestSupport
import XCTest

/// Test double of the customers service's binding answer: phone -> intermediary; a phone
/// listed in `unavailable` has no answer yet (UNAVAILABLE).
final class FakeBindings: CustomerBindings, @unchecked Sendable {
    var bound: [String: String] = [:]
    var unavailable: Set<String> = []

    func binding(customerPhone: String, regionID: String) async throws -> CustomerBinding {
        if unavailable.contains(customerPhone) { throw RPCError(code: .unavailable, message: "no answer yet") }
        return bound[customerPhone].map { .bound(accountID: $0) } ?? .unbound
    }
}

/// A fresh database with the settlements schema (ServiceDatabase: own role, platform + service
/// migrations), a SettlementFlow on a manual clock set a day before business week 2026-W48 (Asia/Shanghai), and
/// minted actors of region "cq".
final class SettlementsFixture: @unchecked Sendable {
    let database: ServiceDatabase
    let pool: PostgresPool
    let calendar = BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai")!
    let clock: ManualWallClock
    let bindings = FakeBindings()
    let flow: SettlementFlow
    private let secret = ActorSecret("settlements-tests-secret-0123456789abcdef")!
    private var eventCounter = 0

    static let team = "/hq/cq/cq-o1/cq-o1-d3/t7"

    var w48: BusinessWeek { calendar.week(named: "2026-W48")! }
    var w49: BusinessWeek { calendar.week(named: "2026-W49")! }
    var w50: BusinessWeek { calendar.week(named: "2026-W50")! }

    private init(database: ServiceDatabase) {
        self.database = database
        pool = database.pool
        clock = ManualWallClock(startingAt: BusinessCalendar(timeZoneIdentifier: "Asia/Shanghai")!.week(named: "2026-W48")!.startMillis - 86_400_000)
        flow = SettlementFlow(pool: pool, clock: clock.now, timeZone: "Asia/Shanghai", bindings: bindings)
    }

    static func make(_ testCase: XCTestCase) async throws -> SettlementsFixture {
        SettlementsFixture(database: try await ServiceDatabase.make(testCase, service: "settlements", maxConnections: 20))
    }

    func close() { database.close() }

    func set(to millis: Int64) {
        clock.advance(by: .milliseconds(millis - clock.nowMillis()))
    }

    // MARK: actors

    func actor(_ account: String, _ role: VerifiedActor.Role, team: String, domainRole: String = "") throws -> VerifiedActor {
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = account
        context.role = role
        context.teamPath = team
        context.requestId = ActorMint.randomRequestID()
        context.expiresAtMs = SystemWallClock.now() + 3_600_000
        context.domainRole = domainRole
        return try ActorVerifier(secret: secret).verify(ActorSigner(secret: secret).sign(context))
    }

    var system: VerifiedActor { get throws { try actor("svc-orders", .system, team: "/") } }
    var managerCQ: VerifiedActor { get throws { try actor("rm-cq", .manager, team: "/hq/cq", domainRole: "regional_manager") } }
    var managerSC: VerifiedActor { get throws { try actor("rm-sc", .manager, team: "/hq/sc", domainRole: "regional_manager") } }
    var dealer1: VerifiedActor { get throws { try actor("dealer-1", .staff, team: "/hq/cq/cq-o1/cq-o1-d3", domainRole: "dealer") } }
    var dealer2: VerifiedActor { get throws { try actor("dealer-2", .staff, team: "/hq/cq/cq-o1/cq-o1-d3", domainRole: "dealer") } }
    func intermediary(_ id: String) throws -> VerifiedActor { try actor(id, .staff, team: Self.team, domainRole: "intermediary") }
    var teamAdmin: VerifiedActor { get throws { try actor("admin-t7", .staff, team: Self.team, domainRole: "team_admin") } }

    // MARK: data

    /// cq: 3% of actual sales, bj-500 at 5 yuan per bottle, level 2 gets 10% of level 1.
    func seedRules(percentBP: Int64 = 300, perUnit: [String: Int64] = ["bj-500": 500], level2BP: Int64 = 1000) async throws {
        var request = Xsc_Settlements_V1_SetRewardRuleRequest()
        request.regionId = "cq"
        request.percentBasisPoints = percentBP
        request.level2BasisPoints = level2BP
        request.perUnit = perUnit.map { sku, fen in
            var rate = Xsc_Settlements_V1_PerUnitRate()
            rate.skuId = sku
            rate.fenPerUnit = fen
            return rate
        }
        _ = try await flow.setRewardRule(request, actor: try managerCQ, idempotencyKey: UUID().uuidString)
    }

    /// The account as the gateway's directory feed would announce it.
    func announce(_ id: String, role: String = "intermediary", node: String = SettlementsFixture.team, name: String? = nil) async throws {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = id
        entry.name = name ?? id
        entry.domainRole = role
        entry.nodePath = node
        entry.enabled = true
        entry.version = 1
        _ = try await flow.setDirectoryEntry(entry, actor: try system)
    }

    func setRecruiter(_ intermediary: String, _ recruiter: String) async throws {
        try await announce(intermediary)
        try await announce(recruiter)
        var request = Xsc_Settlements_V1_SetRecruiterRequest()
        request.intermediaryAccountId = intermediary
        request.recruiterAccountId = recruiter
        _ = try await flow.setRecruiter(request, actor: try teamAdmin, idempotencyKey: UUID().uuidString)
    }

    func nextEventID() -> String {
        eventCounter += 1
        return "evt-\(eventCounter)-\(UUID().uuidString)"
    }

    /// A visited order: lines (sku, actual quantity, unit price fen).
    func visited(_ order: String, at millis: Int64, referrer: String = "", dealer: String = "dealer-1", phone: String = "13800000000",
                 lines: [(String, Int32, Int64)], eventID: String? = nil) -> Xsc_Orders_V1_OrderVisited {
        var event = Xsc_Orders_V1_OrderVisited()
        event.eventId = eventID ?? nextEventID()
        event.orderId = order
        event.orderCode = "C-\(order)"
        event.source = referrer.isEmpty ? .self : .alliance
        event.regionId = "cq"
        event.officeId = "cq-o1"
        event.districtId = "cq-o1-d3"
        event.creditedTeamPath = Self.team
        event.dealerAccountId = dealer
        event.referrerAccountId = referrer
        event.customerPhone = phone
        event.lines = lines.map { sku, quantity, price in
            var line = Xsc_Orders_V1_EventLine()
            line.skuId = sku
            line.quantity = quantity
            line.unitPriceFen = price
            line.actualQuantity = quantity
            line.actualFen = Int64(quantity) * price
            return line
        }
        event.actualFen = event.lines.reduce(0) { $0 + $1.actualFen }
        event.orderedFen = event.actualFen
        event.visitedAtMs = millis
        event.submittedAtMs = millis - 3_600_000
        return event
    }

    func refunded(_ order: String, at millis: Int64, eventID: String? = nil) -> Xsc_Orders_V1_OrderRefunded {
        var event = Xsc_Orders_V1_OrderRefunded()
        event.eventId = eventID ?? nextEventID()
        event.orderId = order
        event.orderCode = "C-\(order)"
        event.regionId = "cq"
        event.refundedAtMs = millis
        return event
    }

    @discardableResult
    func closeWeek(_ week: BusinessWeek) async throws -> Xsc_Settlements_V1_CloseWeekResponse {
        var request = Xsc_Settlements_V1_CloseWeekRequest()
        request.week = week.name
        return try await flow.closeWeek(request, actor: try managerCQ)
    }

    func statements(week: BusinessWeek) async throws -> [Xsc_Settlements_V1_Statement] {
        var request = Xsc_Settlements_V1_ListStatementsRequest()
        request.week = week.name
        return try await flow.listStatements(request, actor: try managerCQ).statements
    }

    func statement(week: BusinessWeek, payee: String, dealer: String = "dealer-1") async throws -> Xsc_Settlements_V1_Statement? {
        guard let listed = try await statements(week: week).first(where: { $0.payeeAccountId == payee && $0.dealerAccountId == dealer }) else {
            return nil
        }
        return try await flow.getStatement(listed.statementId, actor: try managerCQ).statement
    }

    /// Every statement's total minus the sum of its lines, straight from the tables.
    func totalMismatches() async throws -> Int {
        try await pool.query("""
            SELECT count(*) AS n FROM statements s
            WHERE s.total_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM reward_lines l WHERE l.period_start = s.period_start
                                  AND l.dealer_account_id = s.dealer_account_id AND l.payee_account_id = s.payee_account_id)
            """).first!.decode(Int.self, column: "n")
    }
}

func XCTAssertRPCError<T>(_ code: StatusCode, reason: String? = nil, _ body: () async throws -> T,
                          file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await body()
        XCTFail("expected \(code)", file: file, line: line)
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, error.message, file: file, line: line)
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
    }
}
