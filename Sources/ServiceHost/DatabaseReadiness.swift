import Postgres
import ServiceKit
import Synchronization

/// Keeps a cached "database reachable" flag for /readyz (which must not do I/O on the admin
/// thread): pings the pool every `interval` and logs only transitions, so an outage shows as
/// one warning and one recovery line rather than a line per probe.
final class DatabaseReadiness: BackgroundWorker, Sendable {
    let name = "database-readiness"
    private let pool: PostgresPool
    private let logger: Logger
    private let interval: Duration
    private let reachable = Atomic<Bool>(true)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(pool: PostgresPool, logger: Logger, interval: Duration = .seconds(5)) {
        self.pool = pool
        self.logger = logger
        self.interval = interval
    }

    /// Starts true: the host only builds this after migrations reached the database.
    var isReachable: Bool { reachable.load(ordering: .relaxed) }

    func start() throws {
        let newTask = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await probe()
            }
        }
        task.withLock { $0 = newTask }
    }

    func stop() async {
        let running = task.withLock { current -> Task<Void, Never>? in
            defer { current = nil }
            return current
        }
        running?.cancel()
        await running?.value
    }

    private func probe() async {
        let ok: Bool
        var failure = ""
        do {
            try await pool.ping()
            ok = true
        } catch {
            ok = false
            failure = String(describing: error)
        }
        let was = reachable.exchange(ok, ordering: .relaxed)
        if was && !ok {
            logger.warning("database unreachable: not ready", ["error": .string(failure)])
        } else if !was && ok {
            logger.info("database reachable again: ready")
        }
    }
}
