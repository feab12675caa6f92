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
