import XSCTestSupport
import Postgres
import class ServiceKit.MetricsRegistry
import ServiceKitStore
import Synchronization
import XCTest

final class TimerTests: XCTestCase {
    private var fixture: StoreFixture!
    private let service = "timers"
    private let clock = ManualWallClock()
    private var timers: Timers { Timers(clock: clock.now) }

    override func setUp() async throws {
        fixture = try await StoreFixture.make(self, services: [service: [
            Migration(version: 1, name: "effects", sql: "CREATE TABLE timer_effects (subject_id text NOT NULL, worker text NOT NULL);"),
        ]])
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    private func configuration(maxAttempts: Int = 10) -> TimerWorker.Configuration {
        var configuration = TimerWorker.Configuration()
        configuration.batchSize = 4
        configuration.pollInterval = .milliseconds(20)
        configuration.retry = RetryPolicy(baseDelay: .seconds(10), maxDelay: .seconds(60), maxAttempts: maxAttempts)
        configuration.reportError = { _, _ in }
        return configuration
    }

    /// A handler whose effect is a row in `timer_effects`, in the firing transaction.
    private func recordingHandler(worker: String, calls: Counter) -> TimerHandler {
        { firing, transaction in
            calls.increment()
            try await transaction.execute("INSERT INTO timer_effects (subject_id, worker) VALUES ($1, $2)",
                                          [.text(firing.subjectID), .text(worker)])
        }
    }

    private func schedule(_ subjects: [String], kind: String = "order.expire", dueAt: Int64, pool: PostgresPool) async throws {
        let timers = self.timers
        try await pool.transaction { transaction in
            for subject in subjects {
                try await timers.schedule(in: transaction, kind: kind, subjectID: subject, dueAtMillis: dueAt, payload: Array(subject.utf8))
            }
        }
    }

    func testEachTimerFiresExactlyOnceWithTwoWorkersRacing() async throws {
        let pool = try fixture.pool(service)
        let subjects = (0..<200).map { "order-\($0)" }
        try await schedule(subjects, dueAt: clock.nowMillis(), pool: pool)
        let calls = Counter()
        let workers = try ["a", "b"].map { name in
            try TimerWorker(pool: try fixture.pool(service), handlers: ["order.expire": recordingHandler(worker: name, calls: calls)],
                            configuration: configuration(), clock: clock.now, name: "timer-\(name)")
        }
        workers.forEach { $0.start() }
        try await eventually("every timer fired") {
            try await pool.count("SELECT count(*) FROM xsc_timers WHERE state = 'fired'") == 200
        }
        for worker in workers { await worker.stop() }

        XCTAssertEqual(calls.current, 200, "no handler ran twice")
        let effects = try await pool.query("SELECT subject_id, count(*) FROM timer_effects GROUP BY subject_id")
        XCTAssertEqual(effects.count, 200)
        XCTAssertTrue(try effects.allSatisfy { try $0.decode(Int.self, at: 1) == 1 }, "no timer's effect committed twice")
        let byWorker = try await pool.query("SELECT worker, count(*) FROM timer_effects GROUP BY worker ORDER BY worker")
        print("timer firings per worker:", try byWorker.map { "\(try $0.decode(String.self, at: 0))=\(try $0.decode(Int.self, at: 1))" })
    }

    func testTimersWaitForTheirDueTimeAndCanBeCancelled() async throws {
        let pool = try fixture.pool(service)
        let calls = Counter()
        let worker = try TimerWorker(pool: pool, handlers: ["order.expire": recordingHandler(worker: "w", calls: calls)],
                                     configuration: configuration(), clock: clock.now)
        try await schedule(["kept", "cancelled"], dueAt: clock.nowMillis() + 60_000, pool: pool)
        var fired = try await worker.runOnce()
        XCTAssertEqual(fired, 0, "not due yet")

        let timers = self.timers
        let cancelled = try await pool.transaction { try await timers.cancel(in: $0, kind: "order.expire", subjectID: "cancelled") }
        XCTAssertTrue(cancelled)
        clock.advance(by: .seconds(60))
        fired = try await worker.runOnce()
        XCTAssertEqual(fired, 1)
        let subjects = try await pool.query("SELECT subject_id FROM timer_effects")
        XCTAssertEqual(try subjects.map { try $0.decode(String.self, at: 0) }, ["kept"])
        let cancelAfterFiring = try await pool.transaction { try await timers.cancel(in: $0, kind: "order.expire", subjectID: "kept") }
        XCTAssertFalse(cancelAfterFiring)
        let entry = try await timers.entry(pool: pool, kind: "order.expire", subjectID: "kept")
        XCTAssertEqual(entry?.state, .fired)
        XCTAssertEqual(entry?.firedAtMillis, clock.nowMillis())
    }

    func testTheLagFromDueTimeToFiringIsRecorded() async throws {
        let pool = try fixture.pool(service)
        let metrics = MetricsRegistry()
        var settings = configuration()
        settings.metrics = metrics
        let worker = try TimerWorker(pool: pool, handlers: ["order.expire": recordingHandler(worker: "w", calls: Counter())],
                                     configuration: settings, clock: clock.now)
        try await schedule(["late"], dueAt: clock.nowMillis(), pool: pool)
        clock.advance(by: .seconds(3))  // the worker comes round three seconds after the due time
        let fired = try await worker.runOnce()
        XCTAssertEqual(fired, 1)
        let text = metrics.exposition()
        XCTAssertTrue(text.contains("xsc_timer_lag_seconds_count{kind=\"order.expire\"} 1"), text)
        XCTAssertTrue(text.contains("xsc_timer_lag_seconds_sum{kind=\"order.expire\"} 3"), text)
        XCTAssertTrue(text.contains("xsc_timer_lag_seconds_bucket{kind=\"order.expire\",le=\"2\"} 0"), text)
        XCTAssertTrue(text.contains("xsc_timer_lag_seconds_bucket{kind=\"order.expire\",le=\"5\"} 1"), text)
    }

    private func failingWorker(_ failing: Switch, pool: PostgresPool) throws -> TimerWorker {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused (test)" } }
        return try TimerWorker(pool: pool, handlers: ["order.expire": { firing, transaction in
            try await transaction.execute("INSERT INTO timer_effects (subject_id, worker) VALUES ($1, 'w')", [.text(firing.subjectID)])
            if failing.isOn { throw Refused() }
        }], configuration: configuration(maxAttempts: 3), clock: clock.now)
    }

    private func runOnce(_ worker: TimerWorker, expecting claimed: Int, _ message: String = "",
                         file: StaticString = #filePath, line: UInt = #line) async throws {
        let actual = try await worker.runOnce()
        XCTAssertEqual(actual, claimed, message, file: file, line: line)
    }

    func testAFailingHandlerIsRolledBackAndRetriedWithBackoff() async throws {
        let pool = try fixture.pool(service)
        let failing = Switch(true)
        let worker = try failingWorker(failing, pool: pool)
        let dueAt = clock.nowMillis()
        try await schedule(["flaky"], dueAt: dueAt, pool: pool)

        try await runOnce(worker, expecting: 1)
        var entry = try await timers.entry(pool: pool, kind: "order.expire", subjectID: "flaky")
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertEqual(entry?.attempts, 1)
        XCTAssertEqual(entry?.lastError, "refused (test)")
        XCTAssertEqual(entry?.dueAtMillis, dueAt, "retries keep the scheduled time")
        let wait = (entry?.fireAtMillis ?? 0) - clock.nowMillis()
        XCTAssertTrue((5_000...10_000).contains(wait), "retry in \(wait) ms")
        var effects = try await pool.count("SELECT count(*) FROM timer_effects")
        XCTAssertEqual(effects, 0, "a failed handler's writes are rolled back")
        try await runOnce(worker, expecting: 0, "backing off")

        clock.advance(by: .seconds(3600))
        failing.set(false)
        try await runOnce(worker, expecting: 1)
        entry = try await timers.entry(pool: pool, kind: "order.expire", subjectID: "flaky")
        XCTAssertEqual(entry?.state, .fired)
        XCTAssertEqual(entry?.attempts, 2)
        XCTAssertNil(entry?.lastError)
        effects = try await pool.count("SELECT count(*) FROM timer_effects")
        XCTAssertEqual(effects, 1)
    }

    func testATimerThatKeepsFailingEndsDeadAndCanBeRescheduled() async throws {
        let pool = try fixture.pool(service)
        let failing = Switch(true)
        let worker = try failingWorker(failing, pool: pool)
        try await schedule(["doomed"], dueAt: clock.nowMillis(), pool: pool)
        for attempt in 1...3 {
            try await runOnce(worker, expecting: 1, "attempt \(attempt)")
            clock.advance(by: .seconds(3600))
        }
        var entry = try await timers.entry(pool: pool, kind: "order.expire", subjectID: "doomed")
        XCTAssertEqual(entry?.state, .dead)
        XCTAssertEqual(entry?.attempts, 3)
        try await runOnce(worker, expecting: 0, "dead timers are not retried")

        failing.set(false)
        try await schedule(["doomed"], dueAt: clock.nowMillis(), pool: pool)
        try await runOnce(worker, expecting: 1)
        entry = try await timers.entry(pool: pool, kind: "order.expire", subjectID: "doomed")
        XCTAssertEqual(entry?.state, .fired)
        XCTAssertEqual(entry?.attempts, 1, "a new schedule starts counting again")
        let effects = try await pool.count("SELECT count(*) FROM timer_effects")
        XCTAssertEqual(effects, 1, "only the successful firing left an effect")
    }

    func testAHandlerThatReschedulesItsTimerKeepsTheNewOne() async throws {
        let pool = try fixture.pool(service)
        let timers = self.timers
        let clock = self.clock
        let worker = try TimerWorker(pool: pool, handlers: ["order.remind": { firing, transaction in
            try await transaction.execute("INSERT INTO timer_effects (subject_id, worker) VALUES ($1, 'w')", [.text(firing.subjectID)])
            try await timers.schedule(in: transaction, kind: firing.kind, subjectID: firing.subjectID,
                                      dueAtMillis: clock.nowMillis() + 60_000)
        }], configuration: configuration(), clock: clock.now)
        try await schedule(["o1"], kind: "order.remind", dueAt: clock.nowMillis(), pool: pool)
        try await runOnce(worker, expecting: 1)
        let entry = try await timers.entry(pool: pool, kind: "order.remind", subjectID: "o1")
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertEqual(entry?.dueAtMillis, clock.nowMillis() + 60_000)
        try await runOnce(worker, expecting: 0)
        clock.advance(by: .seconds(60))
        try await runOnce(worker, expecting: 1)
    }

    func testWorkersOnlyClaimKindsTheyHandle() async throws {
        let pool = try fixture.pool(service)
        try await schedule(["x"], kind: "other.kind", dueAt: clock.nowMillis(), pool: pool)
        let worker = try TimerWorker(pool: pool, handlers: ["order.expire": recordingHandler(worker: "w", calls: Counter())],
                                     configuration: configuration(), clock: clock.now)
        try await runOnce(worker, expecting: 0)
        let entry = try await timers.entry(pool: pool, kind: "other.kind", subjectID: "x")
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertThrowsError(try TimerWorker(pool: pool, handlers: ["Bad,Kind": { _, _ in }]))
    }

    func testWakeFiresWithoutWaitingForThePoll() async throws {
        let pool = try fixture.pool(service)
        var slowPoll = configuration()
        slowPoll.pollInterval = .seconds(3600)
        let calls = Counter()
        let worker = try TimerWorker(pool: pool, handlers: ["order.expire": recordingHandler(worker: "w", calls: calls)],
                                     configuration: slowPoll, clock: clock.now)
        try await schedule(["first"], dueAt: clock.nowMillis(), pool: pool)
        worker.start()
        // Once this fired, the worker has gone to sleep for an hour (or is about to).
        try await eventually("the first timer fired") { calls.current == 1 }
        try await schedule(["second"], dueAt: clock.nowMillis(), pool: pool)
        worker.wake()
        try await eventually("fired after wake, long before the next poll") { calls.current == 2 }
        await worker.stop()
    }
}
