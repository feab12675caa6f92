import XSCTestSupport
import Postgres
import XCTest

final class PoolTests: XCTestCase {
    func testExhaustedPoolFailsWithTypedError() async throws {
        let held = try await HeldPool.make(try requireCluster())
        let pool = held.pool
        defer { pool.close() }
        await assertPostgresError(try await pool.query("SELECT 1")) { error in
            XCTAssertEqual(error.kind, .poolExhausted)
        }
        XCTAssertEqual(pool.statistics.open, 1)
        try await held.release()
        let rows = try await pool.query("SELECT 2::int8")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 2)
    }

    func testConcurrentCallsShareABoundedPool() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 3 }
        defer { pool.close() }
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<60 {
                group.addTask {
                    let rows = try await pool.query("SELECT pg_backend_pid(), $1::int8", [.int(index)])
                    XCTAssertEqual(try rows[0].decode(Int.self, at: 1), index)
                    return try rows[0].decode(Int32.self, at: 0)
                }
            }
            var all = Set<Int32>()
            for try await pid in group { all.insert(pid) }
            return all
        }
        XCTAssertLessThanOrEqual(pids.count, 3)
        XCTAssertLessThanOrEqual(pool.statistics.open, 3)
    }

    func testDeadlineCancelsALongStatementAndThePoolCarriesOn() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        // First a call with the long default deadline, so the connection already carries a
        // long statement_timeout that the short deadline below must replace.
        try await pool.query("SELECT 1")
        await assertPostgresError(try await pool.query("SELECT pg_sleep(60)", deadline: .now + .milliseconds(300))) { error in
            XCTAssertTrue(error.isQueryCanceled || error.kind == .deadlineExceeded, "\(error)")
        }
        let rows = try await pool.query("SELECT 7::int8")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 7)
    }

    /// A short deadline on one call must not leak into the next call on the same connection,
    /// scripts included.
    func testShortDeadlineDoesNotLeakIntoLaterCalls() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        try await pool.query("SELECT 1", deadline: .now + .seconds(1))
        try await pool.withConnection { connection in
            try await connection.executeScript("SELECT pg_sleep(1.2); SELECT 1")
        }
        try await pool.query("SELECT 1", deadline: .now + .seconds(1))
        try await pool.query("SELECT pg_sleep(1.2)")
        try await pool.query("SELECT 1", deadline: .now + .seconds(1))
        let value = try await pool.transaction { tx in
            try await tx.query("SELECT pg_sleep(1.2)")
            return try await tx.query("SELECT 5::int8")[0].decode(Int64.self, at: 0)
        }
        XCTAssertEqual(value, 5)
    }

    func testTaskCancellationCancelsTheRunningStatement() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 2 }
        defer { pool.close() }
        let sleeper = Task { try await pool.query("SELECT pg_sleep(60)", deadline: .now + .seconds(120)) }
        // Wait until the server is really running it, then cancel the task.
        while try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'")[0]
            .decode(Int64.self, at: 0) == 0 {
            try await Task.sleep(for: .milliseconds(20))
        }
        sleeper.cancel()
        do {
            _ = try await sleeper.value
            XCTFail("cancelled statement returned")
        } catch let error as PostgresError {
            XCTAssertTrue(error.isQueryCanceled, "\(error)")
        }
        let rows = try await pool.query("SELECT 8::int8")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 8)
    }

    /// A pooled connection whose server process was killed while idle is replaced before use,
    /// so the caller never sees the dead one.
    func testKilledIdleConnectionIsReplacedTransparently() async throws {
        let cluster = try requireCluster()
        let (pool, admin) = try cluster.oneConnectionPoolWithAdmin()
        defer {
            pool.close()
            admin.close()
        }
        let first = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        let killed = try await admin.query("SELECT pg_terminate_backend($1, 10000)", [.int32(first)])
        XCTAssertTrue(try killed[0].decode(Bool.self, at: 0))
        let second = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        XCTAssertNotEqual(first, second)
    }

    func testPreparedStatementsAreReusedPerConnection() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        for value in 1...5 {
            try await pool.query("SELECT $1::int8 + 1000", [.int(value)])
        }
        let rows = try await pool.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                                        ["SELECT $1::int8 + 1000"])
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 1)
    }

    func testSessionSettingsOnConnect() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.idleInTransactionSessionTimeout = .seconds(42) }
        defer { pool.close() }
        let rows = try await pool.query("SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('TimeZone')")
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), "42s")
        XCTAssertEqual(try rows[0].decode(String.self, at: 1), "UTC")
    }

    func testLeftOpenTransactionIsRolledBackBeforeReuse() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        try await pool.withConnection { connection in
            try await connection.executeScript("BEGIN; CREATE TEMP TABLE left_open (x int)")
        }
        let rows = try await pool.query("SELECT count(*) FROM pg_class WHERE relname = 'left_open'")
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 0)
    }

    func testAFailedTransactionKeepsItsConnection() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        let before = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        for _ in 0..<3 {
            do {
                try await pool.transaction { tx in
                    // A statement that fails leaves the transaction failed (only ROLLBACK is
                    // accepted there), then the body throws.
                    try await tx.execute("SELECT 1 / 0")
                }
                XCTFail("division by zero")
            } catch let error as PostgresError {
                XCTAssertEqual(error.sqlState, "22012", "\(error)")
            }
        }
        let after = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        XCTAssertEqual(after, before, "rolled back and reused, not closed and reopened")
    }

    func testConnectionCannotBeUsedAfterItsLease() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url)
        defer { pool.close() }
        let escaped = try await pool.withConnection { $0 }
        await assertPostgresError(try await escaped.query("SELECT 1")) { error in
            XCTAssertEqual(error.kind, .usage)
        }
    }

    func testUnreachableDatabaseIsUnavailable() async throws {
        // Port 1 on loopback: nothing listens, the connect is refused at once.
        let pool = try PostgresPool(configuration: PostgresConfiguration(
            connectionString: "postgresql://nobody@127.0.0.1:1/none"))
        defer { pool.close() }
        await assertPostgresError(try await pool.query("SELECT 1")) { error in
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue(error.isConnectionLevel)
        }
        await assertPostgresError(try await pool.ping()) { error in
            XCTAssertEqual(error.kind, .unavailable)
        }
    }
}
