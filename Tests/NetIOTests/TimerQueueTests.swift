import XCTest
@testable import NetIO

final class TimerQueueTests: XCTestCase {
    func testFiresInDeadlineOrderAndSkipsCancelled() {
        var queue = TimerQueue()
        var fired: [Int] = []
        _ = queue.add(deadline: MonotonicTime(nanoseconds: 30)) { fired.append(3) }
        let cancelled = queue.add(deadline: MonotonicTime(nanoseconds: 20)) { fired.append(2) }
        _ = queue.add(deadline: MonotonicTime(nanoseconds: 10)) { fired.append(1) }
        queue.cancel(cancelled)
        XCTAssertEqual(queue.nextDeadline(), MonotonicTime(nanoseconds: 10))
        while let due = queue.popDue(now: MonotonicTime(nanoseconds: 25)) { due() }
        XCTAssertEqual(fired, [1])
        XCTAssertEqual(queue.nextDeadline(), MonotonicTime(nanoseconds: 30))
        while let due = queue.popDue(now: MonotonicTime(nanoseconds: 30)) { due() }
        XCTAssertEqual(fired, [1, 3])
        XCTAssertNil(queue.nextDeadline())
    }
}

final class TimerQueueCancelTests: XCTestCase {
    private final class Payload {}

    func testCancelReleasesTheWorkAtOnce() {
        var queue = TimerQueue()
        var payload: Payload? = Payload()
        weak let watched = payload
        let id = queue.add(deadline: MonotonicTime(nanoseconds: 10)) { [payload] in _ = payload }
        payload = nil
        XCTAssertNotNil(watched)
        queue.cancel(id)
        XCTAssertNil(watched, "a cancelled timer's work must not outlive the cancel")
        XCTAssertNil(queue.popDue(now: MonotonicTime(nanoseconds: 20)))
    }

    func testMostlyCancelledHeapIsCompactedAndKeepsOrder() {
        var queue = TimerQueue()
        var fired: [Int] = []
        var ids: [TimerID] = []
        for index in 0..<1_000 {
            let value = index
            ids.append(queue.add(deadline: MonotonicTime(nanoseconds: UInt64(1_000 - index))) { fired.append(value) })
        }
        // Cancel all but every tenth: the heap must shrink well before those deadlines pass.
        for (index, id) in ids.enumerated() where index % 10 != 0 { queue.cancel(id) }
        XCTAssertEqual(queue.liveCount, 100)
        XCTAssertLessThan(queue.storedCount, 300)
        // Cancelling twice, or after firing, changes nothing.
        queue.cancel(ids[1])
        XCTAssertEqual(queue.liveCount, 100)
        while let due = queue.popDue(now: MonotonicTime(nanoseconds: 2_000)) { due() }
        XCTAssertEqual(fired, stride(from: 990, through: 0, by: -10).map { $0 })
        queue.cancel(ids[0])
        XCTAssertEqual(queue.liveCount, 0)
        XCTAssertNil(queue.nextDeadline())
    }
}

/// Timers that call an object (`TimerTarget`) rather than a closure: fired in order with the
/// closures, and a cancel drops the target at once like a closure's captures.
final class TimerTargetTests: XCTestCase {
    private final class Target: TimerTarget {
        var fired = 0
        func timerFired() { fired += 1 }
    }

    func testTargetFiresAndCancelReleasesIt() {
        var queue = TimerQueue()
        var order: [String] = []
        let target = Target()
        _ = queue.add(deadline: MonotonicTime(nanoseconds: 20), work: .target(target))
        _ = queue.add(deadline: MonotonicTime(nanoseconds: 10)) { order.append("closure") }
        while let due = queue.popDue(now: MonotonicTime(nanoseconds: 30)) {
            due()
            order.append("fired \(target.fired)")
        }
        XCTAssertEqual(order, ["closure", "fired 0", "fired 1"])

        var cancelled: Target? = Target()
        weak let watched = cancelled
        let id = queue.add(deadline: MonotonicTime(nanoseconds: 40), work: .target(cancelled!))
        cancelled = nil
        XCTAssertNotNil(watched, "held by the timer")
        queue.cancel(id)
        XCTAssertNil(watched, "a cancelled timer's target must not outlive the cancel")
        XCTAssertNil(queue.popDue(now: MonotonicTime(nanoseconds: 50)))
    }
}
