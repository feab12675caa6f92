import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import Synchronization

/// What delivers the directory feed: the gateway's outbox relay, calling notifications,
/// customers, proposals and settlements signed as the gateway's own SYSTEM actor, and a start-up backfill of accounts whose
/// current entry was never queued.
public enum DirectoryFeedWorkers {
    public static let actorAccountID = "service:gateway"

    public static func make(pool: PostgresPool, config: ServiceConfig, logger: Logger,
                            reportError: @escaping WorkerErrorReporter) -> [any BackgroundWorker] {
        let destinations = Set(DirectoryFeed.destinations)
        let channels = config.peers.filter { destinations.contains($0.key) }
            .mapValues { RPCChannel(host: $0.host, port: $0.port) }
        let secret = config.actorSecret
        // UNIMPLEMENTED is not permanent: a receiver older than the gateway learns its method
        // on its next deploy, and the entries wait for it until then.
        let deliverer = RPCOutboxDeliverer(timeout: config.deliveryCallTimeout, permanentCodes: [.invalidArgument, .outOfRange],
                                           extraMetadata: { message in
            ActorMint.mint(secret: secret, accountID: actorAccountID, role: .system, lifetime: .seconds(60),
                           audience: message.destination)
        }, channels: { channels[$0] })
        var relay = OutboxRelay.Configuration()
        relay.reportError = reportError
        relay.lease = config.claimLease
        // Notifications may be down for long: entries wait (backoff up to 5 min), not dead-letter.
        relay.retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(300), maxAttempts: 10_000)
        return [OutboxRelay(pool: pool, deliverer: deliverer, configuration: relay, name: "gateway-outbox"),
                DirectoryBackfill(feed: DirectoryFeed(), pool: pool, logger: logger)]
    }
}

/// Queues the directory entries of accounts that have none queued (those of a database made
/// before the feed existed), once at start, in batches; retried while the database is away.
public final class DirectoryBackfill: BackgroundWorker {
    public let name = "contact-backfill"
    let feed: DirectoryFeed
    let pool: PostgresPool
    let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(feed: DirectoryFeed, pool: PostgresPool, logger: Logger) {
        self.feed = feed
        self.pool = pool
        self.logger = logger
    }

    public func start() {
        let work = Task { [feed, pool, logger] in
            var total = 0
            var attempt = 0
            while !Task.isCancelled {
                do {
                    let queued = try await feed.backfill(pool: pool)
                    total += queued
                    if queued == 0 { break }
                } catch {
                    attempt += 1
                    logger.warning("directory backfill failed", ["attempt": .int(Int64(attempt)),
                                                               "error": .string(String(describing: error))])
                    try? await Task.sleep(for: .seconds(min(30, attempt)))
                }
            }
            if total > 0 { logger.info("directory backfill queued accounts for the directory feed", ["accounts": .int(Int64(total))]) }
        }
        task.withLock { $0 = work }
    }

    public func stop() async {
        guard let work = task.withLock({ $0 }) else { return }
        work.cancel()
        await work.value
    }
}
