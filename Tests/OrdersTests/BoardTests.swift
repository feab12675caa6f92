import Foundation
import Messages
@testable import Orders
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import Synchronization
import XCTest

/// The operations board (issue 20) on real PostgreSQL: every lane reached by driving orders
/// through the flow (the SLA set to 5 s on the fixture's manual clock, the deadline timers run
/// by the test like SLATests does), who sees what (the viewer rules of ListOrders, regions,
/// mine_only), today's violations, and the watch: snapshot, then changes from the one shared
/// poller, GONE rows, the end on shutdown and the drop of a watcher that does not keep up.
final class BoardTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self, slaSeconds: 5) }
    override func tearDown() async throws { fixture?.close() }

    private func board(_ actor: VerifiedActor, region: String = "", mine: Bool = false) async throws -> Xsc_Orders_V1_BoardUpdate {
        var request = Xsc_Orders_V1_BoardRequest()
        request.regionId = region
        request.mineOnly = mine
        return try await fixture.flow.board(request, actor: actor)
    }

    private func row(_ orderID: String, as actor: VerifiedActor, mine: Bool = false) async throws -> Xsc_Orders_V1_BoardRow? {
        try await board(actor, mine: mine).rows.first { $0.orderId == orderID }
    }

    /// The caller's row of the order; fails the test when the order is not on its board.
    private func placed(_ orderID: String, as actor: VerifiedActor, file: StaticString = #filePath,
                        line: UInt = #line) async throws -> Xsc_Orders_V1_BoardRow {
        let found = try await row(orderID, as: actor)
        return try XCTUnwrap(found, "order \(orderID) is not on the board", file: file, line: line)
    }

    private func submitCQ() async throws -> Xsc_Orders_V1_Order {
        try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: fixture.leadO1)
    }

    // MARK: lanes

    func testEachLaneIsReachedByDrivingTheOrderThroughItsFlow() async throws {
        let flow = fixture.flow
        let timers = try fixture.timerWorker(name: "board-test")
        let cs = try fixture.customerServiceCQ
        let order = try await submitCQ()

        // Received: the office lead's acknowledgement, five seconds from the submission.
        var row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .waiting)
        XCTAssertEqual(row.state, "received")
        XCTAssertEqual(row.orderCode, order.code)
        XCTAssertEqual(row.deadlineAtMs, order.createdAtMs + 5_000)
        XCTAssertEqual(row.responsibleAccountId, "lead-o1")
        XCTAssertEqual(row.responsibleName, "lead-o1", "the directory's name (the fixture names people by their ids)")
        XCTAssertEqual(row.customerName, "张三")
        XCTAssertEqual(row.itemCount, 4)
        XCTAssertEqual(row.totalFen, order.totalFen)
        XCTAssertEqual(row.source, "phone")
        XCTAssertFalse(row.actionableByCaller, "customer service watches; the office lead acknowledges")
        let leadsRow = try await self.row(order.id, as: fixture.leadO1)
        XCTAssertEqual(leadsRow?.actionableByCaller, true)

        // Acknowledged: the same lead's forwarding, its deadline from now.
        fixture.clock.advance(by: .seconds(2))
        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .waiting)
        XCTAssertEqual(row.state, "acknowledged")
        XCTAssertEqual(row.deadlineAtMs, fixture.clock.nowMillis() + 5_000)
        XCTAssertEqual(row.responsibleAccountId, "lead-o1")

        // Forwarded to the district lead, who misses the acknowledgement: ESCALATED, the first
        // rung (the office lead) told at once, the next one (customer service) a period later.
        _ = try await flow.assign(orderID: order.id, assignee: "dlead-d3", kind: .districtLead, actor: fixture.leadO1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .waiting)
        XCTAssertEqual(row.responsibleAccountId, "dlead-d3")
        let due = fixture.clock.nowMillis() + 5_000
        XCTAssertEqual(row.deadlineAtMs, due)
        XCTAssertEqual(row.escalationLevel, 0)
        fixture.clock.advance(by: .seconds(6))
        let fired = try await timers.runOnce()
        XCTAssertEqual(fired, 1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .escalated)
        XCTAssertEqual(row.deadlineAtMs, due, "the missed deadline stays on the row")
        XCTAssertEqual(row.escalationLevel, 1)
        fixture.clock.advance(by: .seconds(6))
        let hop = try await timers.runOnce()
        XCTAssertEqual(hop, 1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .escalated)
        XCTAssertEqual(row.escalationLevel, 2)
        let violations = try await board(cs).violations
        XCTAssertEqual(violations.map(\.step), ["acknowledge"])
        XCTAssertEqual(violations.first?.responsibleAccountIds, ["dlead-d3"])
        XCTAssertEqual(violations.first?.orderCode, order.code)
        XCTAssertEqual(violations.first?.dueAtMs, due)
        XCTAssertEqual(violations.first?.withdrawn, false)

        // The late acknowledgement and the forwarding to the dealer: WAITING again, the dealer's
        // acceptance has no deadline (the region sets none).
        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.districtLeadD3)
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.districtLeadD3)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .waiting)
        XCTAssertEqual(row.state, "assigned")
        XCTAssertEqual(row.responsibleAccountId, "dealer-1")
        XCTAssertEqual(row.deadlineAtMs, 0)
        XCTAssertEqual(row.escalationLevel, 0)
        _ = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .waiting, "accepted: the dealer delivers, still on the board")
        XCTAssertEqual(row.state, "accepted")
        XCTAssertEqual(row.responsibleAccountId, "dealer-1")

        // Delivered: the return visit, due in the region's 48 hours; customer service may make it.
        _ = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        row = try await placed(order.id, as: cs)
        XCTAssertEqual(row.lane, .awaitingVisit)
        XCTAssertEqual(row.responsibleAccountId, "lead-o1")
        XCTAssertEqual(row.deadlineAtMs, fixture.clock.nowMillis() + 172_800_000)
        XCTAssertTrue(row.actionableByCaller, "the region's customer service makes return visits too")

        // Visited: off the board; today's violation stays listed.
        _ = try await flow.recordReturnVisit(OrdersFixture.returnVisit(order.id, actual: [("bj-500", 3), ("bj-250", 1)]), actor: cs)
        let after = try await board(cs)
        XCTAssertNil(after.rows.first { $0.orderId == order.id })
        XCTAssertEqual(after.violations.count, 1)
        XCTAssertTrue(after.snapshot)
        XCTAssertEqual(after.serverTimeMs, fixture.clock.nowMillis())
    }

    func testAPromptTheProviderCouldNotDeliverShowsWithItsReason() async throws {
        let order = try await submitCQ()
        fixture.clock.advance(by: .seconds(1))
        try await providerReportsUndelivered(order.id, to: "lead-o1", reason: "用户已停机")
        let row = try await placed(order.id, as: try fixture.customerServiceCQ)
        XCTAssertEqual(row.lane, .promptUndelivered)
        XCTAssertTrue(row.note.contains("用户已停机"), row.note)
        XCTAssertEqual(row.responsibleAccountId, "lead-o1")

        // Once the lead acknowledges after all, the report is about a step that is done.
        fixture.clock.advance(by: .seconds(1))
        _ = try await fixture.flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        let next = try await self.row(order.id, as: try fixture.customerServiceCQ)
        XCTAssertEqual(next?.lane, .waiting)
        XCTAssertEqual(next?.note, "")
    }

    func testCancelledAndRefusedOrdersAreOffTheBoard() async throws {
        let order = try await submitCQ()
        _ = try await fixture.flow.cancel(orderID: order.id, reason: "客户取消", actor: fixture.leadO1)
        let rows = try await board(try fixture.customerServiceCQ).rows
        XCTAssertNil(rows.first { $0.orderId == order.id })
    }

    // MARK: who sees what

    func testEachCallerSeesTheOrdersItReadsInFullAndNoOtherRegionsRows() async throws {
        let order = try await submitCQ()
        let scOrder = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone, district: OrdersFixture.scDistrict),
                                                  by: fixture.leadO2)
        let mall = try await fixture.submitted(OrdersFixture.orderRequest(source: .mall, externalID: "TM-B1", partner: "partner-tmall"),
                                               by: fixture.tmall)

        let cqIDs = Set(try await board(try fixture.customerServiceCQ).rows.map(\.orderId))
        XCTAssertEqual(cqIDs, [order.id, mall.id])
        let scIDs = Set(try await board(try fixture.leadO2).rows.map(\.orderId))
        XCTAssertEqual(scIDs, [scOrder.id], "another region's staff see none of cq's orders")
        let hqIDs = Set(try await board(try fixture.admin).rows.map(\.orderId))
        XCTAssertEqual(hqIDs, [order.id, mall.id, scOrder.id])
        let hqSC = Set(try await board(try fixture.admin, region: "sc").rows.map(\.orderId))
        XCTAssertEqual(hqSC, [scOrder.id], "HQ narrows to any region")
        let own = Set(try await board(try fixture.customerServiceCQ, region: "cq").rows.map(\.orderId))
        XCTAssertEqual(own, cqIDs)

        // Partners and referrers read their orders in part only: nothing of a board (our people).
        let partnerRows = try await board(try fixture.tmall).rows
        XCTAssertEqual(partnerRows, [])
        // A dealer sees an order once it is assigned to it.
        let dealerBefore = try await board(try fixture.dealer1).rows
        XCTAssertEqual(dealerBefore, [])
        _ = try await fixture.flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        _ = try await fixture.flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        let dealerRows = try await board(try fixture.dealer1).rows
        XCTAssertEqual(dealerRows.map(\.orderId), [order.id])
        XCTAssertEqual(dealerRows.first?.actionableByCaller, true, "the dealer accepts")

        // Another region, named by staff: refused like ListChannelConflicts, whatever the name.
        for region in ["cq", "nowhere"] {
            let refused = await expectRPCError(.invalidArgument, region) { try await self.board(try self.fixture.leadO2, region: region) }
            XCTAssertEqual(refused?.violatedFields, ["region_id"])
            XCTAssertEqual(refused?.message.replacingOccurrences(of: region, with: "?"),
                           refused?.message, "the answer does not echo the region it was asked about")
        }
        let partnerRegion = await expectRPCError(.invalidArgument) { try await self.board(try self.fixture.tmall, region: "cq") }
        XCTAssertEqual(partnerRegion?.violatedFields, ["region_id"])
    }

    func testMineOnlyShowsTheStepsThatWaitForTheCaller() async throws {
        let order = try await submitCQ()
        let lead = try fixture.leadO1
        var mine = try await board(lead, mine: true).rows.map(\.orderId)
        XCTAssertEqual(mine, [order.id])
        let csMine = try await board(try fixture.customerServiceCQ, mine: true).rows
        XCTAssertEqual(csMine, [], "customer service does not acknowledge new orders")

        _ = try await fixture.flow.acknowledge(orderID: order.id, actor: lead)
        mine = try await board(lead, mine: true).rows.map(\.orderId)
        XCTAssertEqual(mine, [order.id], "forwarding is the acknowledging lead's step")
        _ = try await fixture.flow.assign(orderID: order.id, assignee: "dlead-d3", kind: .districtLead, actor: lead)
        mine = try await board(lead, mine: true).rows.map(\.orderId)
        XCTAssertEqual(mine, [], "now the district lead's")
        let districtMine = try await board(try fixture.districtLeadD3, mine: true).rows.map(\.orderId)
        XCTAssertEqual(districtMine, [order.id])
        let everything = try await board(lead).rows.map(\.orderId)
        XCTAssertEqual(everything, [order.id], "without mine_only the lead still sees it")
    }

    func testTodaysViolationsAreTheOrganisationDaysOnly() async throws {
        let timers = try fixture.timerWorker(name: "board-days")
        let order = try await submitCQ()
        fixture.clock.advance(by: .seconds(6))
        _ = try await timers.runOnce()
        let cs = try fixture.customerServiceCQ
        let today = try await board(cs).violations
        XCTAssertEqual(today.map(\.orderId), [order.id])
        XCTAssertEqual(today.first?.step, "acknowledge")
        let scToday = try await board(try fixture.leadO2).violations
        XCTAssertEqual(scToday, [], "another region's violations are not shown")
        let leadMine = try await board(try fixture.leadO1, mine: true).violations
        XCTAssertEqual(leadMine.map(\.orderId), [order.id], "the lead's own miss")

        // Past midnight in Asia/Shanghai: yesterday's violation is no longer today's.
        let day = fixture.flow.calendar.day(containing: fixture.clock.nowMillis())
        fixture.clock.advance(by: .milliseconds(day.endMillis - fixture.clock.nowMillis()))
        let tomorrow = try await board(cs)
        XCTAssertEqual(tomorrow.violations, [])
        XCTAssertEqual(tomorrow.rows.first?.lane, .escalated, "the order itself is still overdue")
    }

    // MARK: the watch

    func testAWatcherSeesOrdersAppearChangeLaneAndLeaveAndOtherRegionsSeeNothing() async throws {
        let flow = fixture.flow
        let hub = BoardHub(flow: flow, interval: .milliseconds(20))
        let cs = try Watch(hub, try fixture.customerServiceCQ)
        let mine = try Watch(hub, try fixture.leadO1, mine: true)
        let sc = try Watch(hub, try fixture.leadO2)
        for watch in [cs, mine, sc] { try await watch.snapshotArrived() }
        let pollers = await hub.isPolling
        XCTAssertTrue(pollers)
        let watching = await hub.watcherCount
        XCTAssertEqual(watching, 3)

        let order = try await submitCQ()
        try await cs.until("the new order on the board") { $0.latest(order.id)?.lane == .waiting }
        try await mine.until("the new order waits for its lead") { $0.latest(order.id)?.actionableByCaller == true }
        XCTAssertEqual(cs.latest(order.id)?.state, "received")

        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        try await cs.until("acknowledged") { $0.latest(order.id)?.state == "acknowledged" }
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        try await cs.until("assigned to the dealer") { $0.latest(order.id)?.responsibleAccountId == "dealer-1" }
        try await mine.until("no longer the lead's step: GONE from its page") { $0.latest(order.id)?.lane == .gone }

        // A missed deadline (the region's dealer window is none: make one with the lead's step on
        // another order) comes with its violation.
        let late = try await submitCQ()
        fixture.clock.advance(by: .seconds(6))
        _ = try await fixture.timerWorker(name: "board-watch").runOnce()
        try await cs.until("the miss escalated") { $0.latest(late.id)?.lane == .escalated }
        try await cs.until("its violation") { watch in watch.violations.contains { $0.orderId == late.id && $0.step == "acknowledge" } }

        // The provider reports the lead's prompt of a third order undelivered.
        let unreached = try await submitCQ()
        try await providerReportsUndelivered(unreached.id, to: "lead-o1", reason: "空号")
        try await cs.until("the undelivered prompt") { $0.latest(unreached.id)?.lane == .promptUndelivered }
        XCTAssertTrue(cs.latest(unreached.id)?.note.contains("空号") ?? false)

        _ = try await flow.accept(orderID: order.id, actor: fixture.dealer1)
        _ = try await flow.markDelivered(orderID: order.id, actor: fixture.dealer1)
        try await cs.until("awaiting the return visit") { $0.latest(order.id)?.lane == .awaitingVisit }
        _ = try await flow.recordReturnVisit(OrdersFixture.returnVisit(order.id, actual: [("bj-500", 3), ("bj-250", 0)]),
                                             actor: fixture.leadO1)
        try await cs.until("visited: GONE") { $0.latest(order.id)?.lane == .gone }

        // The other region's watcher: its own region's order arrives, cq's never did.
        let scOrder = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone, district: OrdersFixture.scDistrict),
                                                  by: fixture.leadO2)
        try await sc.until("its own region's order") { $0.latest(scOrder.id) != nil }
        XCTAssertEqual(sc.orderIDs, [scOrder.id])
        XCTAssertTrue(sc.violations.isEmpty)
        XCTAssertFalse(cs.orderIDs.contains(scOrder.id))
        XCTAssertTrue(cs.updates.dropFirst().allSatisfy { !$0.snapshot && $0.serverTimeMs > 0 })

        for watch in [cs, mine, sc] { await watch.stop() }
        let idle = await hub.isPolling
        XCTAssertFalse(idle, "nobody watches: the poller stops")
    }

    func testAWatcherSeesTheLadderClimbWhenEveryPromptWasUndelivered() async throws {
        let hub = BoardHub(flow: fixture.flow, interval: .milliseconds(20))
        let cs = try Watch(hub, try fixture.customerServiceCQ)
        try await cs.snapshotArrived()
        // Forwarded to the district lead, whose ladder has two rungs (the office lead, then
        // customer service); the district lead's prompt never arrives.
        let order = try await submitCQ()
        _ = try await fixture.flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        _ = try await fixture.flow.assign(orderID: order.id, assignee: "dlead-d3", kind: .districtLead, actor: fixture.leadO1)
        fixture.clock.advance(by: .seconds(1))
        try await providerReportsUndelivered(order.id, to: "dlead-d3", reason: "空号")
        try await cs.until("the undelivered prompt") { $0.latest(order.id)?.lane == .promptUndelivered }
        XCTAssertEqual(cs.latest(order.id)?.escalationLevel, 0)

        // Nobody owed the step, so the deadline records no miss and tells nobody new (the office
        // lead was told when the report came); the next rung is scheduled, and the watcher learns
        // of it without waiting for the order's next event.
        fixture.clock.advance(by: .seconds(6))
        _ = try await fixture.timerWorker(name: "board-undelivered").runOnce()
        try await cs.until("the first rung counted") { $0.latest(order.id)?.escalationLevel == 1 }
        await cs.stop()
    }

    func testAnOpenWatchStartsTheNewDayWithAFreshSnapshot() async throws {
        let hub = BoardHub(flow: fixture.flow, interval: .milliseconds(20))
        let cs = try Watch(hub, try fixture.customerServiceCQ)
        try await cs.snapshotArrived()
        let late = try await submitCQ()
        fixture.clock.advance(by: .seconds(6))
        _ = try await fixture.timerWorker(name: "board-midnight").runOnce()
        try await cs.until("today's violation") { watch in watch.violations.contains { $0.orderId == late.id } }

        let day = fixture.flow.calendar.day(containing: fixture.clock.nowMillis())
        fixture.clock.advance(by: .milliseconds(day.endMillis - fixture.clock.nowMillis()))
        try await cs.until("a snapshot of the new day") { $0.updates.dropFirst().contains(where: \.snapshot) }
        let fresh = try XCTUnwrap(cs.updates.dropFirst().first(where: \.snapshot))
        XCTAssertEqual(fresh.violations, [], "yesterday's violation is not today's")
        XCTAssertEqual(fresh.rows.first { $0.orderId == late.id }?.lane, .escalated, "the order itself is still overdue")
        await cs.stop()
    }

    func testARenamedLeadReachesAnOpenWatchWithoutAnOrderEvent() async throws {
        let hub = BoardHub(flow: fixture.flow, interval: .milliseconds(20))
        let cs = try Watch(hub, try fixture.customerServiceCQ)
        try await cs.snapshotArrived()
        let order = try await submitCQ()
        try await cs.until("the new order") { $0.latest(order.id)?.responsibleName == "lead-o1" }

        // The gateway's directory feed renames the lead; no order changes.
        try await fixture.deliverDirectoryEntry("lead-o1", name: "订单负责人 王", role: "office_order_lead", node: "/hq/cq/cq-o1",
                                                version: 1_000)
        try await cs.until("a fresh snapshot with the new name") { watch in
            watch.updates.dropFirst().contains { $0.snapshot && $0.rows.contains { $0.responsibleName == "订单负责人 王" } }
        }
        await cs.stop()
    }

    func testAWatchEndsWithUnavailableWhenTheServerShutsDown() async throws {
        let hub = BoardHub(flow: fixture.flow, interval: .milliseconds(20))
        let watch = try Watch(hub, try fixture.customerServiceCQ)
        try await watch.snapshotArrived()
        watch.shutDown()
        let error = await watch.ending()
        XCTAssertEqual((error as? RPCError)?.code, .unavailable)
        let idle = await hub.isPolling
        XCTAssertFalse(idle)
    }

    func testAWatcherThatDoesNotKeepUpIsDroppedInsteadOfBufferingWithoutBound() async throws {
        let metrics = MetricsRegistry()
        let hub = BoardHub(flow: fixture.flow, interval: .milliseconds(20), mailboxLimit: 2, metrics: metrics)
        let slow = try Watch(hub, try fixture.customerServiceCQ, blockAfter: 1)
        try await slow.snapshotArrived()
        let fast = try Watch(hub, try fixture.customerServiceCQ)
        try await fast.snapshotArrived()
        // One order at a time, each seen by the fast watcher (so offered to both): the slow one
        // takes what it holds once, then sits in its send, and more than two pile up behind it.
        for _ in 0..<6 {
            let id = try await submitCQ().id
            try await fast.until("the order reached the fast watcher") { $0.latest(id) != nil }
        }
        slow.release()
        let error = await slow.ending()
        XCTAssertEqual((error as? RPCError)?.code, .resourceExhausted)
        XCTAssertLessThanOrEqual(slow.updates.count, 2, "the snapshot and at most one change")
        await fast.stop()
        let exposed = metrics.exposition()
        XCTAssertTrue(exposed.contains("xsc_board_watches_dropped_total{reason=\"slow\"} 1"), exposed)
        XCTAssertTrue(exposed.contains("xsc_board_watchers 0"), exposed)
        XCTAssertFalse(exposed.contains("xsc_board_rounds_total 0\n"), "the poller ran")
    }

    func testWatchesEndWithUnavailableWhenTheDatabaseCannotBeRead() async throws {
        // A replica of its own (its own pool), whose database goes away under its watcher.
        let pool = try fixture.database.pool("orders")
        let metrics = MetricsRegistry()
        let hub = BoardHub(flow: OrderFlow(pool: pool, clock: fixture.clock.now), interval: .milliseconds(10), metrics: metrics)
        let watch = try Watch(hub, try fixture.customerServiceCQ)
        try await watch.snapshotArrived()
        pool.close()
        let error = await watch.ending()
        XCTAssertEqual((error as? RPCError)?.code, .unavailable)
        XCTAssertEqual((error as? RPCError)?.message, "the board's changes cannot be read now; watch again")
        XCTAssertTrue(metrics.exposition().contains("xsc_board_watches_dropped_total{reason=\"unreadable\"} 1"))
        let idle = await hub.isPolling
        XCTAssertFalse(idle)
    }

    func testTheMailboxKeepsTheNewestRowOfAnOrder() throws {
        let mailbox = BoardMailbox(limit: 10)
        func entry(_ id: String, _ state: String) -> BoardEntry {
            var row = Xsc_Orders_V1_BoardRow()
            row.orderId = id
            row.state = state
            return BoardEntry(row: row, responsible: [], step: nil,
                              reach: BoardReach(regionID: "cq", creditedTeamPath: OrdersFixture.cqTeam, participants: []))
        }
        mailbox.offer([entry("a", "received"), entry("b", "received")], [], serverTime: 1)
        mailbox.offer([entry("a", "acknowledged")], [], serverTime: 2)
        let pending = try mailbox.take()
        XCTAssertEqual(pending.entries.map(\.row.orderId), ["a", "b"])
        XCTAssertEqual(pending.entries.map(\.row.state), ["acknowledged", "received"])
        XCTAssertEqual(pending.serverTimeMillis, 2)
        XCTAssertTrue(try mailbox.take().isEmpty)
    }
    /// The SMS provider reports the account's prompt about the order undelivered.
    private func providerReportsUndelivered(_ orderID: String, to account: String, reason: String) async throws {
        var report = Xsc_Orders_V1_PromptUndeliveredRequest()
        report.orderId = orderID
        report.accountId = account
        report.messageId = UUID().uuidString.lowercased()
        report.reason = reason
        _ = try await fixture.flow.promptUndelivered(report, actor: fixture.system)
    }
}

/// One WatchBoard stream run by a test: what it received, and its end.
private final class Watch: Sendable {
    private let received = Mutex<[Xsc_Orders_V1_BoardUpdate]>([])
    private let stopping = Mutex(false)
    private let gate: AsyncStream<Void>
    private let opener: AsyncStream<Void>.Continuation
    private let task: Mutex<Task<Void, Error>?> = Mutex(nil)

    /// `blockAfter`: the send of that many messages returns, the next one waits for `release()`.
    init(_ hub: BoardHub, _ actor: VerifiedActor, mine: Bool = false, blockAfter: Int = .max) throws {
        (gate, opener) = AsyncStream.makeStream(of: Void.self)
        var request = Xsc_Orders_V1_BoardRequest()
        request.mineOnly = mine
        let started = Task { [self] in
            var sent = 0
            try await hub.watch(request, actor: actor, checkStop: {
                if self.stopping.withLock({ $0 }) { throw RPCError(code: .unavailable, message: "the server is shutting down") }
            }) { update in
                self.received.withLock { $0.append(update) }
                sent += 1
                if sent > blockAfter { for await _ in self.gate { break } }
            }
        }
        task.withLock { $0 = started }
    }

    var updates: [Xsc_Orders_V1_BoardUpdate] { received.withLock { $0 } }
    var violations: [Xsc_Orders_V1_BoardViolation] { updates.flatMap(\.violations) }
    var orderIDs: Set<String> { Set(updates.flatMap(\.rows).map(\.orderId)) }

    /// The last row received about the order.
    func latest(_ orderID: String) -> Xsc_Orders_V1_BoardRow? {
        updates.flatMap(\.rows).last { $0.orderId == orderID }
    }

    func snapshotArrived(file: StaticString = #filePath, line: UInt = #line) async throws {
        try await until("the snapshot", file: file, line: line) { !$0.updates.isEmpty }
        XCTAssertTrue(updates.first?.snapshot ?? false, file: file, line: line)
    }

    func until(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: @escaping (Watch) -> Bool) async throws {
        try await eventually(what, file: file, line: line) { condition(self) }
    }

    func release() { opener.yield() }

    func shutDown() { stopping.withLock { $0 = true } }

    /// How the stream ended (nil: it ended without an error).
    func ending() async -> Error? {
        guard let running = task.withLock({ $0 }) else { return nil }
        if case .failure(let error) = await running.result { return error }
        return nil
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }
}
