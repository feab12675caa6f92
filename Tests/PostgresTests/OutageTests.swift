import XSCTestSupport
import Postgres
import XCTest

/// The pool must heal after the server dies (`pg_ctl stop -m immediate`) and comes back,
/// without being recreated; calls during the outage fail fast with a typed error.
final class OutageTests: XCTestCase {
    func testPoolSurvivesImmediateStopAndRestart() async throws {
        // A cluster of its own: stopping the shared one would disturb other tests.
        let cluster: TestCluster
        do {
            cluster = try TestCluster.start()
        } catch {
            XCTFail("cannot start a test cluster with scripts/pg/start-test-postgres.sh: \(error)")
            return
        }
        defer { cluster.stop() }
        let pool = try cluster.pool(cluster.url) {
            $0.maxConnections = 3
            // No background checks during the test: the check before each use must catch
            // every connection the restart killed.
            $0.healthCheckInterval = .seconds(3600)
        }
        defer { pool.close() }

        // Open all three connections and remember their server processes.
        let before = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try await connection.query("SELECT pg_sleep(0.05)")
                        return try await connection.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        XCTAssertEqual(before.count, 3)

        // A statement in flight when the server dies fails as a connection-level error.
        let inFlight = Task { try await pool.query("SELECT pg_sleep(30)", deadline: .now + .seconds(60)) }
        while try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'")[0]
            .decode(Int64.self, at: 0) == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        try cluster.control("stop-immediate")
        do {
            _ = try await inFlight.value
            XCTFail("a statement survived the server's death")
        } catch let error as PostgresError {
            XCTAssertTrue(error.isConnectionLevel, "\(error)")
        }

        // During the outage: typed, connection-level failures, well before the deadline
        // (a call that ran into its deadline would report deadlineExceeded instead).
        // Three at once, so every pooled connection (two of them idle and dead) is used.
        for _ in 0..<3 {
            let errors = await withTaskGroup(of: PostgresError?.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        do {
                            try await pool.query("SELECT 1", deadline: .now + .seconds(10))
                            return nil
                        } catch {
                            return error as? PostgresError
                        }
                    }
                }
                return await group.reduce(into: [PostgresError?]()) { $0.append($1) }
            }
            for error in errors {
                XCTAssertEqual(error?.kind, .unavailable, "\(String(describing: error))")
            }
        }
        await assertPostgresError(try await pool.transaction(deadline: .now + .seconds(10)) { tx in
            try await tx.execute("SELECT 1")
        }) { error in
            XCTAssertEqual(error.kind, .unavailable, "\(error)")
        }

        try cluster.control("start")

        // Same pool object: calls succeed again once the server accepts connections.
        var recovered: Int32?
        for _ in 0..<300 where recovered == nil {
            do {
                recovered = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            } catch let error as PostgresError where error.isConnectionLevel {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let pid = try XCTUnwrap(recovered, "the pool never recovered after the restart")
        XCTAssertFalse(before.contains(pid), "a connection from before the restart was reused")
        XCTAssertLessThanOrEqual(pool.statistics.open, 3)
        let total = try await pool.transaction { tx in
            try await tx.query("SELECT $1::int8 + $2::int8", [40, 2])[0].decode(Int64.self, at: 0)
        }
        XCTAssertEqual(total, 42)
    }
}
