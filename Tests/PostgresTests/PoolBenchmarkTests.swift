import XSCTestSupport
import Foundation
import Postgres
import XCTest

/// Prints throughput and latency figures to compare with pgbench on the same server
/// (scripts/pg/bench-vs-pgbench.sh runs both). Off unless XSC_PG_BENCH=1: figures, not
/// assertions, so it never fails on a slow machine.
final class PoolBenchmarkTests: XCTestCase {
    func testPrintPoolFigures() async throws {
        guard ProcessInfo.processInfo.environment["XSC_PG_BENCH"] == "1" else {
            throw XCTSkip("set XSC_PG_BENCH=1 to print pool benchmark figures")
        }
        let environment = ProcessInfo.processInfo.environment
        let seconds = Double(environment["XSC_PG_BENCH_SECONDS"] ?? "5") ?? 5
        let clients = Int(environment["XSC_PG_BENCH_CLIENTS"] ?? "8") ?? 8
        let cluster = try requireCluster()
        let pool = try cluster.pool(cluster.url) { $0.maxConnections = clients }
        defer { pool.close() }
        try await pool.execute("""
            CREATE TABLE IF NOT EXISTS bench_orders (id bigserial PRIMARY KEY, customer text NOT NULL,
                amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())
            """)
        try await pool.execute("CREATE TABLE IF NOT EXISTS bench_outbox (id bigserial PRIMARY KEY, payload text NOT NULL)")

        let select1 = try await measure(seconds: seconds, clients: 1) {
            try await pool.query("SELECT 1")
        }
        print("BENCH pool SELECT 1, 1 client: \(select1)")
        let selectMany = try await measure(seconds: seconds, clients: clients) {
            try await pool.query("SELECT 1")
        }
        print("BENCH pool SELECT 1, \(clients) clients: \(selectMany)")
        let intake = try await measure(seconds: seconds, clients: clients) {
            try await pool.transaction(batch: [
                PostgresStatement("INSERT INTO bench_orders (customer, amount) VALUES ($1, $2)",
                                  [.text("c1"), .int(Int.random(in: 1...100_000))]),
                PostgresStatement("INSERT INTO bench_outbox (payload) VALUES ($1)", [.text("x")]),
            ])
        }
        print("BENCH pool intake tx (2 inserts, batch), \(clients) clients: \(intake)")
        let intakeClosure = try await measure(seconds: seconds, clients: clients) {
            try await pool.transaction { tx in
                try await tx.execute("INSERT INTO bench_orders (customer, amount) VALUES ($1, $2)",
                                     [.text("c1"), .int(Int.random(in: 1...100_000))])
                try await tx.execute("INSERT INTO bench_outbox (payload) VALUES ($1)", [.text("x")])
            }
        }
        print("BENCH pool intake tx (2 inserts, closure), \(clients) clients: \(intakeClosure)")
    }

    private struct Figures: CustomStringConvertible {
        var calls: Int
        var seconds: Double
        var meanMicros: Double
        var description: String {
            String(format: "%.0f calls/s, mean latency %.1f us (%d calls)", Double(calls) / seconds, meanMicros, calls)
        }
    }

    private func measure(seconds: Double, clients: Int, _ call: @escaping @Sendable () async throws -> Void) async throws -> Figures {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(seconds * 1000))
        let start = clock.now
        let perClient = try await withThrowingTaskGroup(of: (Int, Duration).self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var count = 0
                    var busy = Duration.zero
                    while clock.now < end {
                        let began = clock.now
                        try await call()
                        busy += clock.now - began
                        count += 1
                    }
                    return (count, busy)
                }
            }
            return try await group.reduce(into: [(Int, Duration)]()) { $0.append($1) }
        }
        let elapsed = clock.now - start
        let calls = perClient.map(\.0).reduce(0, +)
        let busy = perClient.map(\.1).reduce(Duration.zero, +)
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let busyMicros = Double(busy.components.seconds) * 1e6 + Double(busy.components.attoseconds) / 1e12
        return Figures(calls: calls, seconds: elapsedSeconds, meanMicros: busyMicros / Double(max(calls, 1)))
    }
}
