import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// What xsc-settlements runs beside its RPC handlers: the durable Monday close timer. (It
/// sends nothing to peers yet, so it has no outbox relay.)
public enum SettlementsService {
    public static let peers: [String] = []

    public static func flow(pool: PostgresPool, config: ServiceConfig) -> SettlementFlow {
        SettlementFlow(pool: pool, timeZone: config.organizationTimeZone)
    }

    public static func workers(flow: SettlementFlow, pool: PostgresPool,
                               reportError: @escaping WorkerErrorReporter) throws -> [any BackgroundWorker] {
        var configuration = TimerWorker.Configuration()
        configuration.reportError = reportError
        // Its one kind closes a whole week in the timer's round transaction.
        configuration.batchSize = 1
        configuration.roundTimeout = SettlementFlow.closeTimeout
        return [try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: configuration, name: "settlements-weekly-close")]
    }
}
