import XSCTestSupport
import NetIO
import Postgres
import XCTest

/// A connection's socket stays registered (one-shot) with each loop that used it, between
/// round trips: one connection shared by two loops in turn, killed and replaced (its new
/// socket often gets the old descriptor number back), must answer every round trip right.
final class LoopExchangeWatchTests: XCTestCase {
    private var loops: [LoopThread] = []

    override func setUp() async throws {
        loops = try (0..<2).map { LoopThread(loop: try EventLoop(name: "pg-watch-test-\($0)")) }
        for thread in loops { try thread.start() }
    }

    override func tearDown() async throws {
        for thread in loops {
            thread.loop.stop()
            thread.join()
        }
    }

    private func query(_ pool: PostgresPool, on index: Int, _ value: Int) async throws -> Int64 {
        let loop = loops[index].loop
        return try await Task(executorPreference: loop) {
            XCTAssertTrue(EventLoop.current === loop)
            return try await pool.query("SELECT $1::int8 * 2", [.int(value)])[0].decode(Int64.self, at: 0)
        }.value
    }

    func testOneConnectionAnswersTwoLoopsInTurnAcrossAReplacement() async throws {
        let cluster = try requireCluster()
        let (pool, admin) = try cluster.oneConnectionPoolWithAdmin()
        defer {
            pool.close()
            admin.close()
        }
        try await pool.query("SELECT 1")  // connected by the worker thread
        let before = pool.statistics.loopExchanges
        for round in 0..<3 {
            for value in 0..<20 {
                let answer = try await query(pool, on: value % 2, round * 100 + value)
                XCTAssertEqual(answer, Int64(2 * (round * 100 + value)))
            }
            // Kill the connection between round trips; the loops still hold its (now closed)
            // socket's registration: the replacement must be registered anew, not missed.
            let pid = try await Task(executorPreference: loops[round % 2].loop) {
                try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
            }.value
            let killed = try await admin.query("SELECT pg_terminate_backend($1, 10000)", [.int32(pid)])
            XCTAssertTrue(try killed[0].decode(Bool.self, at: 0))
        }
        XCTAssertGreaterThanOrEqual(pool.statistics.loopExchanges - before, 60, "the round trips ran on the loops")
    }

    /// An idle connection the server closes does not wake the loop that used it (one-shot: the
    /// registration is disarmed between round trips), and is replaced on the next use.
    func testServerClosingAnIdleConnectionIsHarmless() async throws {
        let cluster = try requireCluster()
        let (pool, admin) = try cluster.oneConnectionPoolWithAdmin()
        defer {
            pool.close()
            admin.close()
        }
        let first = try await query(pool, on: 0, 1)
        XCTAssertEqual(first, 2)
        let pid = try await pool.query("SELECT pg_backend_pid()")[0].decode(Int32.self, at: 0)
        _ = try await admin.query("SELECT pg_terminate_backend($1, 10000)", [.int32(pid)])
        try await Task.sleep(for: .milliseconds(100))
        let second = try await query(pool, on: 0, 2)
        let third = try await query(pool, on: 1, 3)
        XCTAssertEqual([second, third], [4, 6])
    }
}
