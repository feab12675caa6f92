import Postgres
import RPC
import ServiceHost
import ServiceKit
import ServiceKitStore

/// What xsc-proposals runs beside its RPC handlers: the deadline timer worker (decision,
/// checkpoint, finish, review and acknowledgement timers) and the outbox relay that delivers
/// SMS requests to notifications and violations to settlements, signed as the proposals
/// service's system actor.
public enum ProposalsService {
    /// Peers the outbox delivers to (each gets an `XSC_<PEER>_ADDR`, by default the port table's).
    public static let peers = ["notifications", "settlements"]

    /// Only a request the receiver rejects as such is dead-lettered at once. UNIMPLEMENTED is
    /// retried like UNAVAILABLE: violations wait for a settlements that does not record them yet.
    static let permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange]

    /// Retried for about a week (backing off to every 10 minutes), like orders' events: a peer
    /// that is down delays an effect, it never loses one (ARCHITECTURE.md); the backlog shows on
    /// /metrics, and a row past that is a dead letter `xsc outbox replay` sends again.
    static let retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 1_008)

    /// The whole service for `ServiceHost.run`.
    public static var definition: ServiceDefinition {
        ServiceDefinition(
            name: "proposals",
            peers: peers,
            providers: { service in
                let handler = ProposalServiceHandler(flow: ProposalFlow(pool: service.pool, timeZone: service.config.organizationTimeZone))
                return [handler, InboxService(routes: handler.inboxRoutes, logger: service.logger)]
            },
            workers: { service in
                try workers(flow: ProposalFlow(pool: service.pool, timeZone: service.config.organizationTimeZone),
                            pool: service.pool, config: service.config, reportError: service.workerErrorReporter,
                            metrics: service.metrics)
            })
    }

    public static func workers(flow: ProposalFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter,
                               metrics: MetricsRegistry? = nil) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        timerConfiguration.metrics = metrics
        // Many deadlines can fall in one minute (a team's checkpoints): bigger rounds.
        timerConfiguration.batchSize = 64
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration,
                                     name: "proposals-timers")
        let relay = OutboxRelay.forService(accountID: "svc-proposals", peers: peers, config: config, pool: pool, retry: retry,
                                           permanentCodes: permanentCodes, reportError: reportError, name: "proposals-outbox")
        return [timers, relay]
    }
}
