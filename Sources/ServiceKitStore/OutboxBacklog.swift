import Postgres
import Synchronization
import ServiceKit

extension Outbox {
    /// What waits in the outbox for one route (destination + method).
    public struct RouteBacklog: Sendable, Equatable {
        public var destination: String
        public var methodPath: String
        public var pending: Int
        /// Age of the oldest pending row (0 when none): how long the route's receiver has kept
        /// an effect waiting.
        public var oldestPendingAgeMillis: Int64
        public var dead: Int
    }

    /// The backlog of every route with pending or dead rows.
    public func backlog(pool: PostgresPool) async throws -> [RouteBacklog] {
        let rows = try await pool.query("""
            SELECT destination, method_path,
                   count(*) FILTER (WHERE state = 'pending') AS pending,
                   min(created_at) FILTER (WHERE state = 'pending') AS oldest_pending,
                   count(*) FILTER (WHERE state = 'dead') AS dead
            FROM xsc_outbox WHERE state IN ('pending', 'dead')
            GROUP BY destination, method_path ORDER BY destination, method_path
            """)
        let now = clock()
        return try rows.map { row in
            let oldest = try row.decode(Int64?.self, column: "oldest_pending")
            return RouteBacklog(destination: try row.decode(String.self, column: "destination"),
                                methodPath: try row.decode(String.self, column: "method_path"),
                                pending: try row.decode(Int.self, column: "pending"),
                                oldestPendingAgeMillis: oldest.map { max(0, now - $0) } ?? 0,
                                dead: try row.decode(Int.self, column: "dead"))
        }
    }
}

/// Makes the outbox visible on `/metrics`: every `interval` it reads the backlog per route and
/// the scrape reports it (`xsc_outbox_pending`, `xsc_outbox_oldest_pending_age_seconds`,
/// `xsc_outbox_dead`, labelled by destination and method). A receiver that is down, or not
/// deployed yet, shows as a growing age instead of rows retried unseen. Every service runs one
/// (ServiceHost); the query is a grouped scan of the pending and dead rows only.
public final class OutboxMonitor: BackgroundWorker {
    public let name = "outbox-monitor"
    private let outbox: Outbox
    private let pool: PostgresPool
    private let loop: PollingLoop
    private let latest = SnapshotBox()

    public init(pool: PostgresPool, metrics: MetricsRegistry, interval: Duration = .seconds(15),
                clock: @escaping WallClock = SystemWallClock.now,
                reportError: @escaping WorkerErrorReporter = WorkerErrorReporting.standardError) {
        self.pool = pool
        outbox = Outbox(clock: clock)
        loop = PollingLoop(name: "outbox-monitor", interval: interval, stopGracePeriod: .seconds(5), reportError: reportError)
        let latest = self.latest
        let labels = ["destination", "method"]
        metrics.gaugeCallback("xsc_outbox_pending", help: "Outbox rows waiting for delivery, per route", labels: labels) {
            latest.read().map { GaugeSample([$0.destination, $0.methodPath], Double($0.pending)) }
        }
        metrics.gaugeCallback("xsc_outbox_oldest_pending_age_seconds",
                              help: "Age of the oldest outbox row waiting for delivery, per route", labels: labels) {
            latest.read().map { GaugeSample([$0.destination, $0.methodPath], Double($0.oldestPendingAgeMillis) / 1000) }
        }
        metrics.gaugeCallback("xsc_outbox_dead", help: "Outbox rows given up on (dead letters: list and replay them with xsc outbox)",
                              labels: labels) {
            latest.read().map { GaugeSample([$0.destination, $0.methodPath], Double($0.dead)) }
        }
    }

    public func start() {
        loop.start { [weak self] in
            try await self?.refresh()
            return false
        }
    }

    public func stop() async { await loop.stop() }

    /// Reads the backlog now (the loop calls it every interval; tests call it directly).
    public func refresh() async throws {
        latest.store(try await outbox.backlog(pool: pool))
    }
}

/// The last backlog read, shared between the monitor's loop and the scrape thread.
private final class SnapshotBox: Sendable {
    private let value = Mutex<[Outbox.RouteBacklog]>([])

    func read() -> [Outbox.RouteBacklog] { value.withLock { $0 } }
    func store(_ snapshot: [Outbox.RouteBacklog]) { value.withLock { $0 = snapshot } }
}
