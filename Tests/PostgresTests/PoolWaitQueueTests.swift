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

    /// A round trip that continues work under way (`run(_:continuing:)`, the intake's writes
    /// after its reads) is served before callers that queued earlier but have not started.
    func testAContinuingRoundTripGoesAheadOfCallersNotYetStarted() async throws {
        let held = try await HeldPool.make(try requireCluster(), acquireTimeout: .seconds(3600))
        let pool = held.pool
        defer { pool.close() }
        // The one connection runs them one after the other: the server's clock tells the order.
        let now = PostgresStatement("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::int8")
        let fresh = Task { try await pool.run([now])[0][0].decode(Int64.self, at: 0) }
        while pool.statistics.waiting < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let continuing = Task { try await pool.run([now], continuing: true)[0][0].decode(Int64.self, at: 0) }
        while pool.statistics.waiting < 2 { try await Task.sleep(for: .milliseconds(5)) }
        try await held.release()
        let freshAt = try await fresh.value
        let continuingAt = try await continuing.value
        XCTAssertLessThan(continuingAt, freshAt, "the continuing round trip ran first")
    }
}
