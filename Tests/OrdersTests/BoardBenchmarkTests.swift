import Foundation
import Messages
@testable import Orders
import Postgres
import ServiceKit
import Synchronization
import XCTest

/// Figures of the operations board on real PostgreSQL (not a test: nothing here can fail on a
/// slow figure). Run: `XSC_BOARD_BENCH=1 swift test --skip-build --filter BoardBenchmarkTests`
/// (XSC_BOARD_BENCH_ORDERS: the board's size, default 2,000). Prints, each next to a baseline
/// measured in the same run: a full region's GetBoard beside a ListOrders page of 100; the
/// watch's idle round (the feed sequencer + the read, nothing changed) beside a `SELECT 1`;
/// placing one changed order; and submission-to-watcher latency through the production
/// BoardHub (100 ms rounds) over 100 orders.
final class BoardBenchmarkTests: XCTestCase {
    func testBoardFigures() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["XSC_BOARD_BENCH"] == "1" else { throw XCTSkip("set XSC_BOARD_BENCH=1 to print the board's figures") }
        let size = Int(environment["XSC_BOARD_BENCH_ORDERS"] ?? "") ?? 2_000
        let fixture = try await OrdersFixture.make(self, slaSeconds: 300)
        defer { fixture.close() }
        let flow = fixture.flow
        let lead = try fixture.leadO1
        let cs = try fixture.customerServiceCQ

        // The board: `size` open orders of region cq, a third of them acknowledged.
        let seeded = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in stride(from: worker, to: size, by: 8) {
                        let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: lead)
                        if index % 3 == 0 { _ = try await flow.acknowledge(orderID: order.id, actor: lead) }
                    }
                }
            }
            try await group.waitForAll()
        }
        print("board figures: seeded \(size) open orders in \(Self.ms(ContinuousClock.now - seeded)) ms")

        var request = Xsc_Orders_V1_BoardRequest()
        let board = try await Self.median(10) { _ = try await flow.board(request, actor: cs) }
        let rows = try await flow.board(request, actor: cs).rows.count
        var page = Xsc_Orders_V1_ListOrdersRequest()
        var pageRequest = Xsc_Common_V1_PageRequest()
        pageRequest.pageSize = 100
        page.page = pageRequest
        let listed = try await Self.median(10) { _ = try await flow.list(page, actor: cs) }
        request.mineOnly = true
        let mine = try await Self.median(10) { _ = try await flow.board(request, actor: lead) }
        print("board figures: GetBoard of \(rows) rows \(Self.ms(board)) ms (median of 10), mine_only \(Self.ms(mine)) ms; "
              + "baseline ListOrders page of 100: \(Self.ms(listed)) ms")

        // Where GetBoard's time goes: the rows' query, then the facts of those orders.
        let store = BoardStore()
        let viewer = OrderViewer(cs)
        var ids: [String] = []
        let query = try await Self.median(10) {
            ids = try await fixture.pool.transaction { tx in
                try await store.openOrders(viewer: viewer, region: "", limit: 2_001, in: tx).map(\.order.id)
            }
        }
        let facts = try await Self.median(10) { _ = try await fixture.pool.transaction { tx in try await store.facts(of: ids, in: tx) } }
        // The server's own time for that query (the rest is the client: a debug build decodes slowly).
        let plan = try await fixture.pool.query("""
            EXPLAIN (ANALYZE) SELECT o.id,
                   (SELECT COALESCE(sum(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)::integer AS item_count
            FROM orders o
            WHERE o.state = ANY($4::text[]) AND ($5 = '' OR o.region_id = $5) AND \(OrderViewer.sqlFullCondition)
            ORDER BY o.created_at, o.id LIMIT $6
            """, viewer.sqlFullParameters + [.textArray(BoardPlacement.storedStates), .text(""), .int(2_001)])
        let planLines = try plan.map { try $0.decode(String.self, at: 0) }
        print("board figures: the rows' query in PostgreSQL: " + planLines.filter { $0.contains("Execution Time") || $0.contains("Scan") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " | "))
        print("board figures: of which the rows' query \(Self.ms(query)) ms, their facts \(Self.ms(facts)) ms")

        let position = try await store.currentPosition(pool: fixture.pool)
        let idle = try await Self.median(50) { _ = try await store.changes(after: position, limit: 500, pool: fixture.pool) }
        let ping = try await Self.median(50) { _ = try await fixture.pool.query("SELECT 1") }
        let one = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: lead)
        let placeOne = try await Self.median(20) { _ = try await flow.boardChanges(of: [one.id]) }
        print("board figures: the watch's idle round \(Self.ms(idle)) ms (median of 50; baseline SELECT 1: \(Self.ms(ping)) ms); "
              + "placing one changed order \(Self.ms(placeOne)) ms (median of 20)")

        // Submission to watcher, through the hub as xsc-orders runs it.
        let hub = BoardHub(flow: flow)
        let arrived = Mutex<[String: ContinuousClock.Instant]>([:])
        let started = Mutex(false)
        let watcher = Task {
            try await hub.watch(Xsc_Orders_V1_BoardRequest(), actor: cs, checkStop: {}) { update in
                started.withLock { $0 = true }
                let now = ContinuousClock.now
                arrived.withLock { seen in for row in update.rows where seen[row.orderId] == nil { seen[row.orderId] = now } }
            }
        }
        try await eventually("the snapshot") { started.withLock { $0 } }
        var latencies: [Duration] = []
        for _ in 0..<100 {
            // A submission at a random moment of the hub's round, as people submit.
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<100)))
            let sent = ContinuousClock.now
            let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: lead)
            try await eventually("the order on the board") { arrived.withLock { $0[order.id] != nil } }
            latencies.append(arrived.withLock { $0[order.id]! } - sent)
        }
        watcher.cancel()
        _ = await watcher.result
        latencies.sort()
        print("board figures: submission to watcher over 100 orders (100 ms rounds): p50 \(Self.ms(latencies[49])) ms, "
              + "p99 \(Self.ms(latencies[98])) ms, max \(Self.ms(latencies[99])) ms")

        // The same with 50 watchers on the one hub: until the last of them has the order.
        let fanOut = 50
        let seen = Mutex<[String: [ContinuousClock.Instant]]>([:])
        let snapshots = Mutex(0)
        let failures = Mutex<[String]>([])
        let connected = ContinuousClock.now
        let watchers = (0..<fanOut).map { _ in
            Task {
                do {
                    try await hub.watch(Xsc_Orders_V1_BoardRequest(), actor: cs, checkStop: {}) { update in
                        if update.snapshot { snapshots.withLock { $0 += 1 } }
                        let now = ContinuousClock.now
                        seen.withLock { seen in for row in update.rows where !update.snapshot { seen[row.orderId, default: []].append(now) } }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        try await eventually("every snapshot or its failure") { snapshots.withLock { $0 } + failures.withLock { $0.count } == fanOut }
        let failed = failures.withLock { $0 }
        print("board figures: \(fanOut) watchers connecting at once: every snapshot in \(Self.ms(ContinuousClock.now - connected)) ms, "
              + "\(failed.count) failed\(failed.first.map { " (\($0))" } ?? "")")
        guard failed.isEmpty else {
            XCTFail("a watcher that connects with many others waits its turn; it is not refused")
            for task in watchers { task.cancel() }
            return
        }
        var lastArrivals: [Duration] = []
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<100)))
            let sent = ContinuousClock.now
            let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: lead)
            try await eventually("the order at every watcher") { seen.withLock { $0[order.id]?.count ?? 0 } >= fanOut }
            lastArrivals.append(seen.withLock { $0[order.id]!.max()! } - sent)
        }
        for task in watchers { task.cancel() }
        for task in watchers { _ = await task.result }
        lastArrivals.sort()
        print("board figures: submission to the last of \(fanOut) watchers over 50 orders: p50 \(Self.ms(lastArrivals[24])) ms, "
              + "p99 \(Self.ms(lastArrivals[48])) ms, max \(Self.ms(lastArrivals[49])) ms (one poller: the same rounds as for one)")
    }

    static func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Duration {
        var times: [Duration] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try await body()
            times.append(ContinuousClock.now - start)
        }
        return times.sorted()[runs / 2]
    }

    static func ms(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }
}
