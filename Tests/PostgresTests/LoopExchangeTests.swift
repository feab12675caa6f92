import XSCTestSupport
import NetIO
import Postgres
import XCTest

/// The pool as RPC handlers use it: from tasks running on an event loop, where a round trip is
/// sent and read on that loop instead of by the connection's worker thread. The same
/// guarantees as from anywhere else: results, errors, transactions, deadlines, cancellation,
/// a killed connection replaced.
final class LoopExchangeTests: XCTestCase {
    private var loopThread: LoopThread!

    override func setUp() async throws {
        loopThread = LoopThread(loop: try EventLoop(name: "pg-loop-test"))
        try loopThread.start()
    }

    override func tearDown() async throws {
        loopThread.loop.stop()
        loopThread.join()
    }

    /// Runs `body` as a task whose executor is the loop (as a handler's is).
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let loop = loopThread.loop
        return try await Task(executorPreference: loop) {
            XCTAssertTrue(EventLoop.current === loop, "the task runs on the loop")
            return try await body()
        }.value
    }

    func testQueriesAndTransactionsRunOnTheCallersLoop() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(try await cluster.makeDatabase()) { $0.maxConnections = 2 }
        defer { pool.close() }
        try await pool.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")  // connects (worker thread)
        let before = pool.statistics.loopExchanges
        let total = try await onLoop {
            for id in 1...5 { try await pool.execute("INSERT INTO items VALUES ($1, $2)", [.int(id), .text("item \(id)")]) }
            return try await pool.transaction { tx in
                try await tx.execute("INSERT INTO items VALUES (6, 'six')")
                let rows = try await tx.runAndCommit([PostgresStatement("SELECT sum(id)::int8 FROM items")])
                return try rows[0][0].decode(Int64.self, at: 0)
            }
        }
        XCTAssertEqual(total, 21)
        XCTAssertGreaterThanOrEqual(pool.statistics.loopExchanges - before, 7, "round trips went through the loop")
        let names = try await pool.query("SELECT name FROM items WHERE id = 6")
        XCTAssertEqual(try names[0].decode(String.self, at: 0), "six")
    }

    func testAFailedStatementRollsBackAndTheConnectionCarriesOn() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(try await cluster.makeDatabase()) { $0.maxConnections = 1 }
        defer { pool.close() }
        try await pool.execute("CREATE TABLE items (id int PRIMARY KEY)")
        try await onLoop {
            do {
                try await pool.transaction { tx in
                    try await tx.execute("INSERT INTO items VALUES (1)")
                    try await tx.execute("INSERT INTO items VALUES (1)")
                }
                XCTFail("duplicate key accepted")
            } catch let error as PostgresError {
                XCTAssertTrue(error.isUniqueViolation, "\(error)")
            }
            do {
                try await pool.query("SELECT no_such_column FROM items")
                XCTFail("unknown column accepted")
            } catch let error as PostgresError {
                XCTAssertEqual(error.sqlState, "42703")
            }
        }
        let count = try await onLoop { try await pool.query("SELECT count(*) FROM items")[0].decode(Int64.self, at: 0) }
        XCTAssertEqual(count, 0)
    }

    func testDeadlineOnTheLoopEndsTheCallAndThePoolCarriesOn() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
        defer { pool.close() }
        try await pool.query("SELECT 1")
        try await onLoop {
            do {
                // Finishing would be no error: the error shows the deadline cut the statement.
                try await pool.query("SELECT pg_sleep(60)", deadline: .now + .milliseconds(300))
                XCTFail("the deadline did not end the call")
            } catch let error as PostgresError {
                XCTAssertTrue(error.isQueryCanceled || error.kind == .deadlineExceeded, "\(error)")
            }
        }
        let rows = try await onLoop { try await pool.query("SELECT 7::int8") }
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 7)
    }

    func testCancellingTheTaskCancelsTheStatement() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 2 }
        defer { pool.close() }
        try await pool.query("SELECT 1")  // an open, idle connection for the loop to use
        let sleeper = Task(executorPreference: loopThread.loop) {
            try await pool.query("SELECT pg_sleep(61)", deadline: .now + .seconds(120))
        }
        while try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(61)' AND state = 'active'")[0]
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
        let rows = try await onLoop { try await pool.query("SELECT 8::int8") }
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 8)
    }

    func testKilledConnectionIsReplacedBeforeTheLoopUsesIt() async throws {
        let cluster = try requireCluster()
        let (pool, admin) = try cluster.oneConnectionPoolWithAdmin()
        defer {
            pool.close()
            admin.close()
        }
        let first = try await onLoop { try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
        let killed = try await admin.query("SELECT pg_terminate_backend($1, 10000)", [.int32(first)])
        XCTAssertTrue(try killed[0].decode(Bool.self, at: 0))
        let second = try await onLoop { try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0) }
        XCTAssertNotEqual(first, second)
    }

    func testManyConcurrentCallersShareTheConnections() async throws {
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = 3 }
        defer { pool.close() }
        let loop = loopThread.loop
        let sums = try await withThrowingTaskGroup(of: Int64.self) { group in
            for caller in 0..<20 {
                group.addTask(executorPreference: loop) {
                    var sum: Int64 = 0
                    for round in 0..<10 {
                        sum += try await pool.query("SELECT $1::int8", [.int(caller * 100 + round)])[0].decode(Int64.self, at: 0)
                    }
                    return sum
                }
            }
            var all: [Int64] = []
            for try await sum in group { all.append(sum) }
            return all
        }
        XCTAssertEqual(sums.reduce(0, +), Int64((0..<20).reduce(0) { $0 + $1 * 1000 + 45 }))
        XCTAssertLessThanOrEqual(pool.statistics.open, 3)
    }

    func testAWaiterOnTheLoopTimesOutWhenThePoolStaysBusy() async throws {
        let held = try await HeldPool.make(try requireCluster())
        let pool = held.pool
        defer { pool.close() }
        // Waits on the loop end by the loop's own timer (no task per wait): it must fire.
        let kind = try await onLoop { () -> PostgresError.Kind? in
            do {
                try await pool.query("SELECT 1")
                return nil
            } catch let error as PostgresError {
                return error.kind
            }
        }
        XCTAssertEqual(kind, .poolExhausted)
        try await held.release()
        let rows = try await onLoop { try await pool.query("SELECT 2::int8") }
        XCTAssertEqual(try rows[0].decode(Int64.self, at: 0), 2)
    }
}
