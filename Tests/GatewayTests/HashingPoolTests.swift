import Gateway
import RPC
import Synchronization
import XCTest

/// Password hashing on a bounded pool (issue 16). Shown able to fail: with the old
/// `OffLoop.run` (a `DispatchQueue.global()` block per hash) the peak of hashes running at once
/// reaches the number of callers (12 here), and nothing is ever refused.
final class HashingPoolTests: XCTestCase {
    private final class Gate: Sendable {
        let open = Atomic<Bool>(false)
        func wait() { while !open.load(ordering: .acquiring) { usleep(1000) } }
    }

    func testNeverMoreHashesAtOnceThanWorkers() async throws {
        let pool = HashingPool(workers: 2, maxQueued: 100)
        let hasher = PasswordHasher(cost: .testing)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask {
                    let stored = try await pool.run { (try? hasher.hash("password-\(index)")) ?? "" }
                    return try await pool.run { hasher.verify("password-\(index)", against: stored) }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(results, Array(repeating: true, count: 12))
        XCTAssertLessThanOrEqual(pool.statistics.peakRunning, 2)
        XCTAssertGreaterThanOrEqual(pool.statistics.peakRunning, 1)
    }

    func testAFullQueueRefusesWithResourceExhaustedAndRetryInfo() async throws {
        let pool = HashingPool(workers: 1, maxQueued: 1, retryAfterMs: 250)
        let gate = Gate()
        let busy = Task { try await pool.run { gate.wait(); return 1 } }
        while pool.statistics.running < 1 { try await Task.sleep(for: .milliseconds(2)) }
        let queued = Task { try await pool.run { 2 } }
        while pool.statistics.queued < 1 { try await Task.sleep(for: .milliseconds(2)) }

        do {
            _ = try await pool.run { 3 }
            XCTFail("a third hash must be refused while one runs and one waits")
        } catch {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("retry"), error.message)
        }
        XCTAssertEqual(pool.statistics.refused, 1)
        gate.open.store(true, ordering: .releasing)
        let first = try await busy.value
        let second = try await queued.value
        XCTAssertEqual([first, second], [1, 2])
    }
}
