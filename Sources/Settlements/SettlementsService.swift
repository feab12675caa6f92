import Postgres
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-settlements runs beside its RPC handlers: the durable Monday close timer and the
/// outbox relay that delivers payees' SMS requests to notifications, signed as the settlements
/// service's system actor.
public enum SettlementsService {
    /// Peers the outbox delivers to (each gets an `XSC_<PEER>_ADDR`, by default the port table's).
    public static let peers = ["notifications", "customers"]

    /// Only a request the receiver rejects as such is dead-lettered at once; everything else
    /// (peer down, not deployed yet) is retried for about a week, backing off to every 10
    /// minutes, as orders does (then `xsc outbox dead` / `replay`).
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 1_008)

    /// The whole service for `ServiceHost.run`.
    public static var definition: ServiceDefinition {
        var definition = ServiceDefinition(
            name: "settlements",
            peers: peers,
            providers: { service in
                let handler = SettlementServiceHandler(flow: flow(pool: service.pool, config: service.config))
                return [handler, InboxService(routes: handler.inboxRoutes, logger: service.logger)]
            },
            workers: { service in
                try workers(flow: flow(pool: service.pool, config: service.config), pool: service.pool, config: service.config,
                            reportError: service.workerErrorReporter, metrics: service.metrics)
            })
        // The first Monday close timer, before anyone can call (every replica; an existing one stays).
        definition.beforeServing = { service in
            try await flow(pool: service.pool, config: service.config).ensureTimers()
        }
        return definition
    }

    public static func flow(pool: PostgresPool, config: ServiceConfig) -> SettlementFlow {
        // Without a customers address (a test running settlements alone) bindings wait: UNAVAILABLE.
        let bindings: any CustomerBindings = config.peers["customers"].map { address in
            CustomersServiceBindings(channel: RPCChannel(host: address.host, port: address.port), secret: config.actorSecret,
                                     timeout: config.deliveryCallTimeout)
        } ?? AwaitingCustomersService()
        return SettlementFlow(pool: pool, timeZone: config.organizationTimeZone, bindings: bindings)
    }

    public static func workers(flow: SettlementFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter,
                               metrics: MetricsRegistry? = nil) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        timerConfiguration.metrics = metrics
        // Its one kind closes a whole week in the timer's round transaction.
        timerConfiguration.batchSize = 1
        timerConfiguration.roundTimeout = SettlementFlow.closeTimeout
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration,
                                     name: "settlements-weekly-close")

        let relay = OutboxRelay.forService(accountID: "svc-settlements", peers: peers, config: config, pool: pool, retry: retry,
                                           permanentCodes: permanentCodes, reportError: reportError, name: "settlements-outbox")
        return [timers, relay]
    }
}
