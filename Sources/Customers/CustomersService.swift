import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// What xsc-customers runs beside its RPC handlers: the follow-up reminder timers and the
/// outbox relay that delivers its SMS requests to notifications, signed as the customers
/// service's system actor.
public enum CustomersService {
    public static let peers = ["notifications"]

    /// Only a request the receiver rejects as such is dead-lettered at once; a peer that is
    /// down or not there yet delays an SMS, it never loses one (ARCHITECTURE.md).
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: Int.max)

    public static func flow(pool: PostgresPool, config: ServiceConfig) -> CustomerFlow {
        CustomerFlow(pool: pool, timeZone: config.organizationTimeZone)
    }

    public static func providers(pool: PostgresPool, config: ServiceConfig) -> [any RPCServiceProvider] {
        [CustomerServiceHandler(flow: flow(pool: pool, config: config))]
    }

    public static func workers(pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        let timers = try TimerWorker(pool: pool, handlers: flow(pool: pool, config: config).timerHandlers,
                                     configuration: timerConfiguration, name: "customers-followup-timers")

        var channels: [String: RPCChannel] = [:]
        for peer in peers {
            if let address = config.peers[peer] { channels[peer] = RPCChannel(host: address.host, port: address.port) }
        }
        let secret = config.actorSecret
        let table = channels
        let deliverer = RPCOutboxDeliverer(timeout: config.deliveryCallTimeout, permanentCodes: permanentCodes, extraMetadata: { _ in
            ActorMint.mint(secret: secret, accountID: "svc-customers", role: .system, teamPath: "/", lifetime: .seconds(60))
        }, channels: { table[$0] })
        var relayConfiguration = OutboxRelay.Configuration()
        relayConfiguration.retry = retry
        relayConfiguration.lease = config.claimLease
        relayConfiguration.reportError = reportError
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: relayConfiguration, name: "customers-outbox")
        return [timers, relay]
    }
}
