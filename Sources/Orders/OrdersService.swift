import Postgres
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-orders runs beside its RPC handlers: the SLA timer worker and the outbox relay
/// that delivers SMS requests and the order area's events to peers, signed as the orders
/// service's system actor.
public enum OrdersService {
    /// Peers the outbox delivers to (each gets an `XSC_<PEER>_ADDR`, by default the port table's).
    public static let peers = ["notifications", "settlements", "customers"]

    /// Only a request the receiver rejects as such is dead-lettered at once. UNIMPLEMENTED is
    /// retried like UNAVAILABLE: events for a consumer that is deployed before it implements
    /// their method wait for it (events.proto), they are not lost.
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]

    /// Retried for about a week (backing off to every 10 minutes): a peer that is down or not
    /// there yet delays an effect, it never loses one (ARCHITECTURE.md). Meanwhile the backlog
    /// and its age show on /metrics (OutboxMonitor); after that the row is a dead letter that
    /// `xsc outbox dead` lists and `xsc outbox replay` sends again.
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 1_008)

    /// Short referral codes are the customers service's (without its address: NoReferralCodes).
    static func referralCodes(_ config: ServiceConfig) -> any ReferralCodes {
        config.peers["customers"].map { address in
            CustomersReferralCodes(channel: RPCChannel(host: address.host, port: address.port), secret: config.actorSecret,
                                   timeout: config.deliveryCallTimeout)
        } ?? NoReferralCodes()
    }

    /// The whole service for `ServiceHost.run`.
    public static var definition: ServiceDefinition {
        ServiceDefinition(
            name: "orders",
            peers: peers,
            providers: { service in
                let flow = OrderFlow(pool: service.pool, timeZone: service.config.organizationTimeZone,
                                     referralCodes: referralCodes(service.config))
                // WatchBoard's one shared poller of this process.
                let handler = OrderServiceHandler(flow: flow, board: BoardHub(flow: flow, metrics: service.metrics))
                return [handler, InboxService(routes: handler.inboxRoutes, logger: service.logger)]
            },
            workers: { service in
                try workers(flow: OrderFlow(pool: service.pool, timeZone: service.config.organizationTimeZone),
                            pool: service.pool, config: service.config, reportError: service.workerErrorReporter,
                            metrics: service.metrics)
            })
    }

    public static func workers(flow: OrderFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter,
                               metrics: MetricsRegistry? = nil) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        timerConfiguration.metrics = metrics
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration, name: "orders-sla-timers")

        let relay = OutboxRelay.forService(accountID: "svc-orders", peers: peers, config: config, pool: pool, retry: retry,
                                           permanentCodes: permanentCodes, reportError: reportError, name: "orders-outbox")
        return [timers, relay]
    }
}
