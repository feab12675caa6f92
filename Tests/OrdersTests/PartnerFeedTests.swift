import Messages
import Orders
import RPC
import Synchronization
import XCTest

/// The partner feed: own orders only, resumable from any cursor with no gap and no
/// duplicate, also while writers commit concurrently, and live.
final class PartnerFeedTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    private func mallOrder(_ external: String) -> Xsc_Orders_V1_SubmitOrderRequest {
        OrdersFixture.orderRequest(source: .mall, externalID: external)
    }

    private func page(after cursor: String, size: Int32 = 3) async throws -> Xsc_Orders_V1_ListPartnerEventsResponse {
        var request = Xsc_Orders_V1_PartnerFeedRequest()
        request.cursor = cursor
        request.pageSize = size
        return try await fixture.flow.partnerEvents(request, actor: fixture.tmall)
    }

    /// Every event after `cursor`, page by page; returns them and the last cursor.
    private func drain(from cursor: String) async throws -> ([Xsc_Orders_V1_PartnerFeedEvent], String) {
        var cursor = cursor
        var events: [Xsc_Orders_V1_PartnerFeedEvent] = []
        while true {
            let next = try await page(after: cursor)
            events += next.events
            if next.events.isEmpty { return (events, next.nextCursor) }
            cursor = next.nextCursor
        }
    }

    func testPartnerPagesThroughItsOwnEventsAndResumes() async throws {
        let flow = fixture.flow
        let awaited1 = try await flow.submit(mallOrder("TM-F1"), actor: fixture.tmall, idempotencyKey: nil).order
        let mine = try XCTUnwrap(awaited1)
        _ = try await flow.submit(mallOrder("JD-F1"), actor: fixture.jd, idempotencyKey: nil)
        _ = try await flow.acknowledge(orderID: mine.id, actor: fixture.leadO1)
        let (first, cursor) = try await drain(from: "")
        XCTAssertEqual(first.map(\.event?.kind), ["submitted", "acknowledged"])
        XCTAssertTrue(first.allSatisfy { $0.event?.orderId == mine.id && $0.order?.partnerId == "partner-tmall" })
        XCTAssertEqual(first.last?.order?.state, .acknowledged)

        _ = try await flow.assign(orderID: mine.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        let (second, _) = try await drain(from: cursor)
        XCTAssertEqual(second.map(\.event?.kind), ["assigned"])
        let again = try await page(after: first[0].cursor)
        XCTAssertEqual(again.events.map(\.event?.kind), ["acknowledged", "assigned"])

        await expectRPCError(.permissionDenied) {
            try await flow.partnerEvents(Xsc_Orders_V1_PartnerFeedRequest(), actor: try self.fixture.leadO1)
        }
        var bad = Xsc_Orders_V1_PartnerFeedRequest()
        bad.cursor = "yesterday"
        await expectRPCError(.invalidArgument) { try await flow.partnerEvents(bad, actor: try self.fixture.tmall) }
    }

    func testNoGapAndNoDuplicateWhileWritersCommitConcurrently() async throws {
        let flow = fixture.flow
        let tmall = try fixture.tmall
        let lead = try fixture.leadO1
        let done = Mutex(false)
        let writers = Task {
            defer { done.withLock { $0 = true } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let order = try await flow.submit(self.mallOrder("TM-C\(index)"), actor: tmall, idempotencyKey: nil).order
                        _ = try await flow.acknowledge(orderID: order?.id ?? "", actor: lead)
                    }
                }
                try await group.waitForAll()
            }
        }
        var cursor = ""
        var seen: [Int64] = []
        // Read while the writers commit, then once more after they are all done.
        while !done.withLock({ $0 }) {
            let (events, next) = try await drain(from: cursor)
            seen += events.compactMap(\.event?.sequence)
            cursor = next
        }
        try await writers.value
        let (rest, _) = try await drain(from: cursor)
        seen += rest.compactMap(\.event?.sequence)
        XCTAssertEqual(seen.count, 24, "12 orders x (submitted, acknowledged)")
        XCTAssertEqual(Set(seen).count, seen.count, "no event twice")
        let stored = try await fixture.count("SELECT count(*) FROM order_events")
        XCTAssertEqual(stored, 24)
    }

    /// The case a sequence-number cursor gets wrong: an event that took its number first
    /// commits after a later one was already read. It must still arrive, once.
    func testAnEventCommittingLateWithAnEarlierSequenceIsNotSkipped() async throws {
        let flow = fixture.flow
        let tmall = try fixture.tmall
        let firstOrder = try await flow.submit(mallOrder("TM-L1"), actor: tmall, idempotencyKey: nil)
        let early = try XCTUnwrap(firstOrder.order?.id)
        let (initial, start) = try await drain(from: "")
        XCTAssertEqual(initial.count, 1)

        let inserted = Mutex(false)
        let release = AsyncStream<Void>.makeStream()
        let pool = fixture.pool
        let slow = Task {
            try await pool.transaction { tx in
                try await tx.execute("""
                    INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
                    VALUES ($1, 'note', 'received', 'received', 'lead-o1', 'staff', now(), 'slow writer')
                    """, [.text(early)])
                inserted.withLock { $0 = true }
                for await _ in release.stream { break }
            }
        }
        try await eventually("the slow writer took its sequence number") { inserted.withLock { $0 } }
        _ = try await flow.submit(mallOrder("TM-L2"), actor: tmall, idempotencyKey: nil)
        let (beforeCommit, cursor) = try await drain(from: start)
        XCTAssertEqual(beforeCommit.map(\.event?.kind), ["submitted"], "the later event is readable at once")

        release.continuation.yield()
        try await slow.value
        let (afterCommit, _) = try await drain(from: cursor)
        XCTAssertEqual(afterCommit.map(\.event?.kind), ["note"], "the earlier-numbered event arrives after all")
        XCTAssertLessThan(afterCommit.first?.event?.sequence ?? .max, beforeCommit.first?.event?.sequence ?? 0)
    }

    func testWatchStreamsLiveEventsAndResumesAfterADisconnect() async throws {
        let flow = fixture.flow
        let tmall = try fixture.tmall
        let received = Mutex<[Xsc_Orders_V1_PartnerFeedEvent]>([])
        let watcher = Task {
            try await flow.watchPartnerEvents(Xsc_Orders_V1_PartnerFeedRequest(), actor: tmall) { event in
                received.withLock { $0.append(event) }
            }
        }
        let awaited2 = try await flow.submit(mallOrder("TM-W1"), actor: tmall, idempotencyKey: nil).order
        let order = try XCTUnwrap(awaited2)
        _ = try await flow.acknowledge(orderID: order.id, actor: fixture.leadO1)
        try await eventually("two live events") { received.withLock { $0.count } >= 2 }
        watcher.cancel()
        _ = await watcher.result
        let live = received.withLock { $0 }
        XCTAssertEqual(live.map(\.event?.kind), ["submitted", "acknowledged"])

        // While disconnected, the order moves on; resuming from the last cursor delivers exactly that.
        _ = try await flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        var resume = Xsc_Orders_V1_PartnerFeedRequest()
        resume.cursor = try XCTUnwrap(live.last?.cursor)
        let after = Mutex<[Xsc_Orders_V1_PartnerFeedEvent]>([])
        let second = Task {
            try await flow.watchPartnerEvents(resume, actor: tmall) { event in after.withLock { $0.append(event) } }
        }
        try await eventually("the missed event") { after.withLock { $0.count } >= 1 }
        second.cancel()
        _ = await second.result
        XCTAssertEqual(after.withLock { $0.map(\.event?.kind) }, ["assigned"])
    }
}

/// Polls `condition` until it holds; a bound against hanging, not a timing assertion.
func eventually(_ what: String, limit: Duration = .seconds(60), file: StaticString = #filePath, line: UInt = #line,
                _ condition: () async throws -> Bool) async throws {
    let giveUp = ContinuousClock.now + limit
    while ContinuousClock.now < giveUp {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("never happened: \(what)", file: file, line: line)
}
