import XSCTestSupport
import Postgres
import ServiceKit
import ServiceKitStore
import XCTest

/// The loop mechanics shared by every worker, without timing assertions.
final class WorkerLoopTests: XCTestCase {
    func testRetryDelaysGrowThenCapAndStayInTheUpperHalf() {
        let policy = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(60), maxAttempts: 5)
        for (attempt, nominal) in [(1, 1_000), (2, 2_000), (3, 4_000), (7, 60_000), (500, 60_000)] {
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempt: attempt)
                XCTAssertTrue(delay >= .milliseconds(nominal / 2) && delay <= .milliseconds(nominal),
                              "attempt \(attempt): \(delay)")
            }
        }
    }

    /// stop() ends a worker that is asleep, and one stuck mid-round once the grace is over;
    /// the stuck round records nothing.
    func testStopEndsASleepingAndAStuckWorker() async throws {
        let service = "svc"
        let fixture = try await StoreFixture.make(self, services: [service: []])
        defer { fixture.close() }
        let pool = try fixture.pool(service)

        var configuration = OutboxRelay.Configuration()
        configuration.pollInterval = .seconds(3600)
        configuration.stopGracePeriod = .zero
        configuration.reportError = { _, _ in }
        let sleeping = OutboxRelay(pool: pool, deliverer: ScriptedDeliverer(.succeed), configuration: configuration)
        // What ServiceRunner is given: ServiceKit's worker protocol.
        let asRunnerSees: any BackgroundWorker = sleeping
        try asRunnerSees.start()
        await asRunnerSees.stop()

        let outbox = Outbox()
        try await pool.transaction { transaction in
            try await outbox.enqueue(in: transaction, destination: "peer", methodPath: "/p/M", payload: [], eventID: "stuck")
        }
        let hanging = DyingDeliverer(inner: ScriptedDeliverer(.succeed), healthyDeliveries: 0)
        let stuck = OutboxRelay(pool: pool, deliverer: hanging, configuration: configuration)
        stuck.start()
        try await eventually("the delivery hangs") { hanging.stuck.load(ordering: .relaxed) == 1 }
        await stuck.stop()
        let entry = try await outbox.entry(pool: pool, eventID: "stuck")
        XCTAssertEqual(entry?.state, .pending, "a round cut short records nothing; the lease will expire")
        XCTAssertEqual(entry?.attempts, 1)
    }
}
