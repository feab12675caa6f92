import Postgres
import ServiceKit

/// Deletes what the platform tables no longer need: idempotency keys past their retention
/// (never under 24 h), processed event ids, delivered outbox rows and fired timers. Pending
/// and dead rows are never touched. Deletes run in small batches; any replica may sweep.
public final class RetentionSweeper: BackgroundWorker {
    public struct Configuration: Sendable {
        public var idempotencyKeys: Duration = IdempotencyStore.minimumRetention * 2
        public var processedEvents: Duration = ProcessedEvents.defaultRetention
        public var deliveredOutbox: Duration = .seconds(7 * 24 * 3600)
        public var firedTimers: Duration = .seconds(7 * 24 * 3600)
        public var interval: Duration = .seconds(3600)
        public var batchSize = 1000
        public var reportError: WorkerErrorReporter = WorkerErrorReporting.standardError
        public init() {}
    }

    /// Rows deleted by one sweep.
    public struct Report: Sendable, Equatable {
        public var idempotencyKeys = 0
        public var processedEvents = 0
        public var deliveredOutbox = 0
        public var firedTimers = 0

        public init(idempotencyKeys: Int = 0, processedEvents: Int = 0, deliveredOutbox: Int = 0, firedTimers: Int = 0) {
            self.idempotencyKeys = idempotencyKeys
            self.processedEvents = processedEvents
            self.deliveredOutbox = deliveredOutbox
            self.firedTimers = firedTimers
        }
    }

    public let name: String
    private let pool: PostgresPool
    private let configuration: Configuration
    private let clock: WallClock
    private let loop: PollingLoop

    public init(pool: PostgresPool, configuration: Configuration = Configuration(),
                clock: @escaping WallClock = SystemWallClock.now, name: String = "retention-sweeper") {
        self.name = name
        self.pool = pool
        self.configuration = configuration
        self.clock = clock
        self.loop = PollingLoop(name: name, interval: configuration.interval, stopGracePeriod: .seconds(5),
                                reportError: configuration.reportError)
    }

    public func start() {
        loop.start { [weak self] in
            _ = try await self?.sweep()
            return false
        }
    }

    public func stop() async { await loop.stop() }

    @discardableResult
    public func sweep() async throws -> Report {
        let batch = configuration.batchSize
        var report = Report()
        report.idempotencyKeys = try await IdempotencyStore(clock: clock)
            .purge(pool: pool, olderThan: configuration.idempotencyKeys, batchSize: batch)
        report.processedEvents = try await ProcessedEvents(clock: clock)
            .purge(pool: pool, olderThan: configuration.processedEvents, batchSize: batch)
        report.deliveredOutbox = try await Outbox(clock: clock)
            .purgeDelivered(pool: pool, olderThan: configuration.deliveredOutbox, batchSize: batch)
        report.firedTimers = try await Timers(clock: clock)
            .purgeFired(pool: pool, olderThan: configuration.firedTimers, batchSize: batch)
        return report
    }
}
