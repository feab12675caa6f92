import Messages
import Orders
import RPC
import ServiceKitStore
import XCTest

/// Each report's figures on a known data set. The manual clock starts on Thursday
/// 2025-10-09 16:53:20 in Asia/Shanghai (08:53:20 UTC).
final class ReportTests: XCTestCase {
    private var fixture: OrdersFixture!
    private var start: Int64 = 0

    override func setUp() async throws {
        fixture = try await OrdersFixture.make(self)
        start = fixture.clock.nowMillis()
        try await makeDataSet()
    }

    override func tearDown() async throws { fixture?.close() }

    /// 1. mall, cq, Thu 16:53, acknowledged after 60 s, delivered, visited (actual 2 + 1).
    /// 2. alliance, cq, Thu 17:53, acknowledged after 180 s.
    /// 3. phone, sc, Fri 16:53, never acknowledged: one miss for lead-o2 (5-minute SLA).
    /// 4. self, cq, Fri 18:53, cancelled.
    private func makeDataSet() async throws {
        let flow = fixture.flow
        let clock = fixture.clock
        let first = try await flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-R1"), actor: fixture.tmall, idempotencyKey: nil)
        let one = try XCTUnwrap(first.order?.id)
        clock.advance(by: .seconds(60))
        _ = try await flow.acknowledge(orderID: one, actor: fixture.leadO1)
        _ = try await flow.assign(orderID: one, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        _ = try await flow.accept(orderID: one, actor: fixture.dealer1)
        _ = try await flow.markDelivered(orderID: one, actor: fixture.dealer1)
        _ = try await flow.recordReturnVisit(OrdersFixture.returnVisit(one, actual: [("bj-500", 2), ("bj-250", 1)]),
                                             actor: fixture.leadO1)

        move(to: start + 3600_000)
        let second = try await flow.submit(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"), actor: fixture.leadO1, idempotencyKey: nil)
        clock.advance(by: .seconds(180))
        let secondID = try XCTUnwrap(second.order?.id)
        _ = try await flow.acknowledge(orderID: secondID, actor: fixture.leadO1)

        move(to: start + 24 * 3600_000)
        _ = try await flow.submit(OrdersFixture.orderRequest(source: .phone, district: OrdersFixture.scDistrict), actor: fixture.leadO2, idempotencyKey: nil)
        clock.advance(by: .seconds(301))
        let timers = try fixture.timerWorker()
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 2, "order 2's assignment (lead-o1) and order 3's acknowledgement (lead-o2) were missed")

        move(to: start + 26 * 3600_000)
        let fourth = try await flow.submit(OrdersFixture.orderRequest(source: .self), actor: fixture.leadO1, idempotencyKey: nil)
        let fourthID = try XCTUnwrap(fourth.order?.id)
        _ = try await flow.cancel(orderID: fourthID, reason: "duplicate", actor: fixture.leadO1)
    }

    /// Order totals of the data set, in fen.
    private let mallTotal: Int64 = 3 * 15_800 + 8_800
    private let mallActual: Int64 = 2 * 15_800 + 8_800
    private let allianceTotal: Int64 = 3 * 12_800 + 6_800
    private let phoneTotal: Int64 = 3 * 13_000

    private func move(to millis: Int64) {
        fixture.clock.advance(by: .milliseconds(millis - fixture.clock.nowMillis()))
    }

    private var week: Xsc_Orders_V1_ReportRequest {
        var request = Xsc_Orders_V1_ReportRequest()
        request.fromMs = start
        request.toMs = start + 7 * 24 * 3600_000
        return request
    }

    func testSalesByTeam() async throws {
        let rows = try await fixture.flow.salesByTeam(week, actor: fixture.admin).rows
        XCTAssertEqual(rows.map(\.creditedTeamPath), [OrdersFixture.cqTeam, OrdersFixture.scTeam])
        XCTAssertEqual(rows.map(\.orders), [2, 1], "the cancelled order is no sale")
        XCTAssertEqual(rows.map(\.orderedFen), [mallTotal + allianceTotal, phoneTotal])
        XCTAssertEqual(rows.map(\.visitedOrders), [1, 0])
        XCTAssertEqual(rows.map(\.actualFen), [mallActual, 0])
        // An office sees its own subtree only.
        let office = try await fixture.flow.salesByTeam(week, actor: fixture.leadO1).rows
        XCTAssertEqual(office.map(\.creditedTeamPath), [OrdersFixture.cqTeam])
    }

    /// By return visit (`basis = VISITED`): an order counts in the period of its visit, and only
    /// while it stays visited (a refund takes it out); the other reports take no basis.
    func testSalesByVisitTime() async throws {
        var visits = week
        visits.basis = .visited
        let first = try await fixture.flow.salesByTeam(visits, actor: fixture.admin).rows
        XCTAssertEqual(first.map(\.creditedTeamPath), [OrdersFixture.cqTeam], "only the mall order was visited")
        XCTAssertEqual(first.map(\.orders), [1])
        XCTAssertEqual(first.map(\.orderedFen), [mallTotal])
        XCTAssertEqual(first.map(\.visitedOrders), [1])
        XCTAssertEqual(first.map(\.actualFen), [mallActual])

        // The alliance order of the first week is delivered and visited in the second.
        let alliance = try await fixture.flow.salesByTeam(week, actor: fixture.leadO1).rows
        XCTAssertEqual(alliance.first?.orders, 2)
        move(to: start + 8 * 24 * 3600_000)
        let secondID = try await allianceOrderID()
        _ = try await fixture.flow.assign(orderID: secondID, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        _ = try await fixture.flow.accept(orderID: secondID, actor: fixture.dealer1)
        _ = try await fixture.flow.markDelivered(orderID: secondID, actor: fixture.dealer1)
        _ = try await fixture.flow.recordReturnVisit(OrdersFixture.returnVisit(secondID, actual: [("bj-500", 3), ("bj-250", 1)], score: 4),
                                                     actor: fixture.leadO1)

        var nextWeek = visits
        nextWeek.fromMs = start + 7 * 24 * 3600_000
        nextWeek.toMs = start + 14 * 24 * 3600_000
        let second = try await fixture.flow.salesByTeam(nextWeek, actor: fixture.admin).rows
        XCTAssertEqual(second.map(\.orders), [1], "counted in the week of its visit")
        XCTAssertEqual(second.map(\.actualFen), [allianceTotal])
        nextWeek.basis = .submitted
        let submittedThen = try await fixture.flow.salesByTeam(nextWeek, actor: fixture.admin).rows
        XCTAssertEqual(submittedThen.count, 0, "nothing was submitted in the second week")
        let firstAgain = try await fixture.flow.salesByTeam(visits, actor: fixture.admin).rows
        XCTAssertEqual(firstAgain.map(\.orders), [1], "the first week's visits are unchanged")

        let listed = try await fixture.flow.list(Xsc_Orders_V1_ListOrdersRequest(), actor: fixture.admin).orders
        let mallID = try XCTUnwrap(listed.first { $0.source == .mall }?.id)
        _ = try await fixture.flow.refund(orderID: mallID, reason: "customer returned the goods", actor: fixture.admin)
        let afterRefund = try await fixture.flow.salesByTeam(visits, actor: fixture.admin).rows
        XCTAssertEqual(afterRefund.count, 0, "a refunded order is no sale")

        let elsewhere = await expectRPCError(.invalidArgument) { try await self.fixture.flow.channelMix(visits, actor: try self.fixture.admin) }
        XCTAssertEqual(elsewhere?.violatedFields, ["basis"])
        visits.basis = .init(rawValue: 7)
        let unknown = await expectRPCError(.invalidArgument) { try await self.fixture.flow.salesByTeam(visits, actor: try self.fixture.admin) }
        XCTAssertEqual(unknown?.violatedFields, ["basis"])
    }

    private func allianceOrderID() async throws -> String {
        let orders = try await fixture.flow.list(Xsc_Orders_V1_ListOrdersRequest(), actor: fixture.admin).orders
        return try XCTUnwrap(orders.first { $0.source == .alliance }?.id)
    }

    /// Business weeks run Monday to Sunday in Asia/Shanghai: an order at Sunday 23:59 local
    /// (15:59 UTC) closes week 41, one at Monday 00:01 local (still Sunday in UTC) opens week 42.
    func testSalesByBusinessWeekInTheOrganisationsZone() async throws {
        move(to: start + 284_740_000)
        _ = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .self), actor: fixture.leadO1, idempotencyKey: nil)
        move(to: start + 284_860_000)
        _ = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .self), actor: fixture.leadO1, idempotencyKey: nil)
        var request = week
        request.groupBy = .week
        let rows = try await fixture.flow.salesByTeam(request, actor: fixture.admin).rows
        XCTAssertEqual(rows.map(\.period), ["2025-W41", "2025-W41", "2025-W42"])
        XCTAssertEqual(rows.map(\.periodStartMs), [1_759_680_000_000, 1_759_680_000_000, 1_760_284_800_000], "Monday 00:00 +08:00")
        XCTAssertEqual(rows.map(\.creditedTeamPath), [OrdersFixture.cqTeam, OrdersFixture.scTeam, OrdersFixture.cqTeam])
        XCTAssertEqual(rows.map(\.orders), [3, 1, 1])
        XCTAssertEqual(rows.map(\.orderedFen), [mallTotal + 2 * allianceTotal, phoneTotal, allianceTotal])
        XCTAssertEqual(rows.map(\.actualFen), [mallActual, 0, 0])
        request.groupBy = .day
        let days = try await fixture.flow.salesByTeam(request, actor: fixture.leadO1).rows
        XCTAssertEqual(days.map(\.period), ["2025-10-09", "2025-10-12", "2025-10-13"])
        XCTAssertEqual(days.map(\.orders), [2, 1, 1], "the cancelled Friday order is no sale")
        request.groupBy = .quarter
        let quarter = try await fixture.flow.salesByTeam(request, actor: fixture.admin).rows
        XCTAssertEqual(quarter.map(\.period), ["2025Q4", "2025Q4"])
        request.groupBy = .init(rawValue: 9)
        let bad = await expectRPCError(.invalidArgument) { try await self.fixture.flow.salesByTeam(request, actor: try self.fixture.admin) }
        XCTAssertEqual(bad?.violatedFields, ["group_by"])
    }

    func testSLACompliancePerLead() async throws {
        let rows = try await fixture.flow.slaCompliance(week, actor: fixture.admin).rows
        XCTAssertEqual(rows.map(\.accountId), ["lead-o1", "lead-o2"])
        XCTAssertEqual(rows[0].acknowledgements, 2)
        XCTAssertEqual(rows[0].p50AckMs, 120_000, "median of 60 s and 180 s")
        XCTAssertEqual(rows[0].p90AckMs, 168_000, "60 s + 0.9 x 120 s")
        XCTAssertEqual(rows[0].misses, 1, "order 2 was never assigned")
        XCTAssertEqual(rows[1].acknowledgements, 0)
        XCTAssertEqual(rows[1].misses, 1)
    }

    func testOrdersByWeekdayAndHourInTheOrganisationsZone() async throws {
        let cells = try await fixture.flow.ordersByWeekdayHour(week, actor: fixture.admin).cells
        XCTAssertEqual(cells.map { [$0.weekday, $0.hour, $0.orders] }, [[4, 16, 1], [4, 17, 1], [5, 16, 1], [5, 18, 1]])
    }

    func testChannelMix() async throws {
        let rows = try await fixture.flow.channelMix(week, actor: fixture.admin).rows
        XCTAssertEqual(rows.map(\.source), [.alliance, .mall, .phone])
        XCTAssertEqual(rows.map(\.orders), [1, 1, 1])
        XCTAssertEqual(rows.map(\.orderedFen), [allianceTotal, mallTotal, phoneTotal])
    }

    func testPeriodBoundsAndWhoMayAsk() async throws {
        var later = week
        later.fromMs = start + 27 * 3600_000
        let empty = try await fixture.flow.channelMix(later, actor: fixture.admin).rows
        XCTAssertEqual(empty.count, 0)
        var backwards = week
        backwards.toMs = backwards.fromMs
        let error = await expectRPCError(.invalidArgument) { try await self.fixture.flow.salesByTeam(backwards, actor: try self.fixture.admin) }
        XCTAssertEqual(error?.violatedFields, ["to_ms"])
        await expectRPCError(.permissionDenied) { try await self.fixture.flow.salesByTeam(self.week, actor: try self.fixture.tmall) }
    }
}
