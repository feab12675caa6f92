import Postgres
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-customers runs beside its RPC handlers: the follow-up reminder timers and the
/// outbox relay that delivers its SMS requests to notifications, signed as the customers
/// service's system actor.
public enum CustomersService {
    public static let peers = ["notifications"]

    /// Only a request the receiver rejects as such is dead-lettered at once.
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]
    /// Retried for about a week (backing off to every 10 minutes): a peer that is down delays an
    /// SMS, it never loses one (ARCHITECTURE.md); the backlog shows on /metrics (OutboxMonitor)
    /// and a dead letter can be sent again with `xsc outbox replay`.
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 1_008)

    /// The whole service for `ServiceHost.run`.
    public static var definition: ServiceDefinition {
        ServiceDefinition(
            name: "customers",
            peers: peers,
            providers: { service in
                let handler = CustomerServiceHandler(flow: flow(service))
                return [handler, InboxService(routes: handler.inboxRoutes, logger: service.logger)]
            },
            workers: { service in
                try workers(flow: flow(service), pool: service.pool, config: service.config,
                            reportError: service.workerErrorReporter, metrics: service.metrics)
            })
    }

    static func flow(_ service: HostedService) -> CustomerFlow {
        CustomerFlow(pool: service.pool, timeZone: service.config.organizationTimeZone, logger: service.logger)
    }

    public static func workers(flow: CustomerFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter,
                               metrics: MetricsRegistry? = nil) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        timerConfiguration.metrics = metrics
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration,
                                     name: "customers-followup-timers")

        let relay = OutboxRelay.forService(accountID: "svc-customers", peers: peers, config: config, pool: pool, retry: retry,
                                           permanentCodes: permanentCodes, reportError: reportError, name: "customers-outbox")
        return [timers, relay]
    }
}
