import XSCTestSupport
import Postgres
import XCTest

/// Bounded waiting for a connection (issue 16): past `maxWaiters` a caller is refused at once
/// instead of joining a queue whose wait is the acquire timeout. Shown able to fail: without
/// the bound in `PostgresPool.acquire` the third caller joins the queue, the hour-long acquire
/// timeout never fires, and the query ends on its 3-second deadline with the "stayed busy"
/// message instead of "calls wait" (and `waiting` reaches 2).
final class PoolWaitQueueTests: XCTestCase {
    func testAFullWaitQueueRefusesTheNextCallerAtOnce() async throws {
        let held = try await HeldPool.make(try requireCluster(), acquireTimeout: .seconds(3600), maxWaiters: 1)
        let pool = held.pool
        defer { pool.close() }
        let queued = Task { try await pool.query("SELECT 7::int8") }
        while pool.statistics.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }

        await assertPostgresError(try await pool.query("SELECT 1", deadline: .now + .seconds(3))) { error in
            XCTAssertEqual(error.kind, .poolExhausted)
            XCTAssertTrue(error.message.contains("calls wait"), error.message)
        }
        XCTAssertEqual(pool.statistics.waiting, 1)

        try await held.release()
        let rows = try await queued.value
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 7)
    }

    func testTheDefaultWaitIsShort() {
        let configuration = PostgresConfiguration(connectionString: "postgresql://x@127.0.0.1/x")
        XCTAssertLessThanOrEqual(configuration.acquireTimeout, .seconds(1))
        XCTAssertGreaterThan(configuration.maxWaiters, 0)
    }
}
