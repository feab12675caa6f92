import Postgres
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-campaigns runs beside its RPC handlers: the deadline timers (decide, then release
/// the participations in batches) and the outbox relay that delivers orders' placements and
/// pickups and the participants' SMS, signed as the campaigns service's system actor.
public enum CampaignsService {
    /// Peers the outbox delivers to (each gets an `XSC_<PEER>_ADDR`, by default the port table's).
    public static let peers = ["orders", "notifications"]
    /// The account the relay and the price check sign as (orders admits only it).
    public static let actorID = "svc-campaigns"

    /// Only a request the receiver rejects as such is dead-lettered at once; everything else
    /// (peer down, an order not accepted yet when its pickup arrives) is retried for about a
    /// week, backing off to every 10 minutes, as the other services do.
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 1_008)

    public static var definition: ServiceDefinition {
        ServiceDefinition(
            name: "campaigns",
            peers: peers,
            providers: { service in
                let handler = CampaignServiceHandler(flow: flow(pool: service.pool, config: service.config))
                return [handler, InboxService(routes: handler.inboxRoutes, logger: service.logger)]
            },
            workers: { service in
                try workers(flow: flow(pool: service.pool, config: service.config), pool: service.pool, config: service.config,
                            reportError: service.workerErrorReporter, metrics: service.metrics)
            })
    }

    public static func flow(pool: PostgresPool, config: ServiceConfig) -> CampaignFlow {
        let catalog: any OrdersCatalog = config.peers["orders"].map { address in
            OrdersServiceCatalog(channel: RPCChannel(host: address.host, port: address.port), secret: config.actorSecret,
                                 timeout: config.deliveryCallTimeout)
        } ?? AwaitingOrdersService()
        return CampaignFlow(pool: pool, catalog: catalog)
    }

    public static func workers(flow: CampaignFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter,
                               metrics: MetricsRegistry? = nil) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        timerConfiguration.metrics = metrics
        // A release round writes a batch of participations with their outbox rows.
        timerConfiguration.batchSize = 1
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration,
                                     name: "campaigns-deadlines")
        let relay = OutboxRelay.forService(accountID: actorID, peers: peers, config: config, pool: pool, retry: retry,
                                           permanentCodes: permanentCodes, reportError: reportError, name: "campaigns-outbox")
        return [timers, relay]
    }
}
