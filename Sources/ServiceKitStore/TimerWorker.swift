import Postgres
import ServiceKit

/// One firing of a durable timer, as its handler sees it.
public struct TimerFiring: Sendable, Equatable {
    public var kind: String
    public var subjectID: String
    /// As scheduled (retries do not move it).
    public var dueAtMillis: Int64
    public var payload: [UInt8]
    /// 1 on the first try.
    public var attempt: Int
}

/// A timer kind's handler. It runs inside the transaction that marks the timer fired, so its
/// database effects and the firing commit together: exactly once. Effects outside the
/// database go through the outbox (`Outbox.enqueue` in the same transaction). Throwing rolls
/// the handler's effects back (to a savepoint) and retries the timer later with backoff.
public typealias TimerHandler = @Sendable (TimerFiring, PostgresTransaction) async throws -> Void

/// Fires due timers of the kinds it has handlers for. Each round is one transaction: claim up
/// to `batchSize` due timers with `FOR UPDATE SKIP LOCKED` (replicas skip each other's), run
/// each handler under its own savepoint, mark fired or failed, commit. Two replicas never
/// fire one timer twice: the claim locks it, and a replica whose snapshot still saw it
/// pending re-checks the committed row and skips it.
public final class TimerWorker: BackgroundWorker {
    public struct Configuration: Sendable {
        public var batchSize = 16
        public var pollInterval: Duration = .seconds(1)
        public var retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 10)
        public var stopGracePeriod: Duration = .seconds(5)
        /// Bounds one round's transaction (all its handlers).
        public var roundTimeout: Duration = .seconds(30)
        public var reportError: WorkerErrorReporter = WorkerErrorReporting.standardError
        /// Where the lag from a timer's due time to its firing is recorded
        /// (`xsc_timer_lag_seconds{kind}`); nil records nothing.
        public var metrics: MetricsRegistry?
        public init() {}
    }

    /// How late timers fire: the figure that shows a worker falling behind its deadlines.
    static let lagBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800]

    public let name: String
    private let lag: MetricFamily<Histogram>?
    private let pool: PostgresPool
    private let handlers: [String: TimerHandler]
    private let kindList: String
    private let configuration: Configuration
    private let clock: WallClock
    private let loop: PollingLoop

    public init(pool: PostgresPool, handlers: [String: TimerHandler], configuration: Configuration = Configuration(),
                clock: @escaping WallClock = SystemWallClock.now, name: String = "timer-worker") throws {
        for kind in handlers.keys { try Timers.validate(kind: kind) }
        self.name = name
        self.pool = pool
        self.handlers = handlers
        self.kindList = handlers.keys.sorted().joined(separator: ",")
        self.configuration = configuration
        self.clock = clock
        self.lag = configuration.metrics?.histogram("xsc_timer_lag_seconds", help: "Time from a timer's due time to its firing",
                                                    labels: ["kind"], buckets: Self.lagBuckets)
        self.loop = PollingLoop(name: name, interval: configuration.pollInterval,
                                stopGracePeriod: configuration.stopGracePeriod, reportError: configuration.reportError)
    }

    public func start() {
        let batchSize = configuration.batchSize
        loop.start { [weak self] in
            guard let self else { return false }
            return try await self.runOnce() >= batchSize
        }
    }

    public func stop() async { await loop.stop() }
    /// Call after scheduling a timer that is due soon.
    public func wake() { loop.wake() }

    /// One round; returns how many timers it claimed (fired or failed).
    @discardableResult
    public func runOnce() async throws -> Int {
        guard !handlers.isEmpty else { return 0 }
        return try await pool.transaction(deadline: .now + configuration.roundTimeout) { transaction in
            let now = clock()
            let rows = try await transaction.query("""
                SELECT kind, subject_id, generation, due_at, payload, attempts FROM xsc_timers
                WHERE state = 'pending' AND fire_at <= $1 AND kind = ANY(string_to_array($2, ','))
                ORDER BY fire_at LIMIT $3 FOR UPDATE SKIP LOCKED
                """, [.timestampMillis(now), .text(kindList), .int(configuration.batchSize)])
            for row in rows {
                let generation = try row.decode(Int64.self, at: 2)
                let firing = TimerFiring(kind: try row.decode(String.self, at: 0), subjectID: try row.decode(String.self, at: 1),
                                         dueAtMillis: try row.decode(Int64.self, at: 3),
                                         payload: try row.decode([UInt8].self, at: 4),
                                         attempt: try row.decode(Int.self, at: 5) + 1)
                try await fire(firing, generation: generation, in: transaction)
            }
            return rows.count
        }
    }

    private func fire(_ firing: TimerFiring, generation: Int64, in transaction: PostgresTransaction) async throws {
        guard let handler = handlers[firing.kind] else { return } // the claim only selects known kinds
        let key: [PostgresValue] = [.text(firing.kind), .text(firing.subjectID), .int64(generation)]
        try await transaction.run([PostgresStatement("SAVEPOINT xsc_timer_handler", prepared: false)])
        do {
            try await handler(firing, transaction)
            lag?.labels([firing.kind]).observe(Double(max(0, clock() - firing.dueAtMillis)) / 1000)
            try await transaction.run([
                PostgresStatement("RELEASE SAVEPOINT xsc_timer_handler", prepared: false),
                // A handler that re-scheduled its own timer bumped the generation: leave that one pending.
                PostgresStatement("""
                    UPDATE xsc_timers SET state = 'fired', fired_at = $4, attempts = attempts + 1, last_error = NULL
                    WHERE kind = $1 AND subject_id = $2 AND generation = $3
                    """, key + [.timestampMillis(clock())]),
            ])
        } catch {
            // Stopping, or the connection is gone: give the whole round back (nothing commits).
            if Task.isCancelled || error is CancellationError { throw error }
            if let postgres = error as? PostgresError, postgres.isConnectionLevel { throw error }
            let dead = firing.attempt >= configuration.retry.maxAttempts
            let retryAt = clock() + configuration.retry.delay(afterAttempt: firing.attempt).milliseconds
            try await transaction.run([
                PostgresStatement("ROLLBACK TO SAVEPOINT xsc_timer_handler", prepared: false),
                PostgresStatement("""
                    UPDATE xsc_timers SET attempts = attempts + 1, fire_at = $4, last_error = $5,
                        state = CASE WHEN $6 THEN 'dead' ELSE 'pending' END
                    WHERE kind = $1 AND subject_id = $2 AND generation = $3
                    """, key + [.timestampMillis(retryAt), .text(String(String(describing: error).prefix(1000))), .bool(dead)]),
            ])
            configuration.reportError(name, TimerHandlerError(kind: firing.kind, subjectID: firing.subjectID,
                                                              attempt: firing.attempt, underlying: error))
        }
    }
}

/// Reported when a handler throws (the timer is retried, or dead after the last attempt).
public struct TimerHandlerError: Error, CustomStringConvertible {
    public var kind: String
    public var subjectID: String
    public var attempt: Int
    public var underlying: any Error

    public var description: String {
        "timer \(kind)/\(subjectID) handler failed on attempt \(attempt): \(underlying)"
    }
}
