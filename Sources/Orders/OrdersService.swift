import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// What xsc-orders runs beside its RPC handlers: the SLA timer worker and the outbox relay
/// that delivers SMS requests (and later settlement/customer events) to peers, signed as
/// the orders service's system actor.
public enum OrdersService {
    /// Peers the outbox delivers to (each gets an `XSC_<PEER>_ADDR`).
    public static let peers = ["notifications"]

    public static func workers(flow: OrderFlow, pool: PostgresPool, config: ServiceConfig,
                               reportError: @escaping WorkerErrorReporter) throws -> [any BackgroundWorker] {
        var timerConfiguration = TimerWorker.Configuration()
        timerConfiguration.reportError = reportError
        let timers = try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: timerConfiguration, name: "orders-sla-timers")

        var channels: [String: RPCChannel] = [:]
        for peer in peers {
            if let address = config.peers[peer] { channels[peer] = RPCChannel(host: address.host, port: address.port) }
        }
        let secret = config.actorSecret
        let deliverer = RPCOutboxDeliverer(channels: channels, extraMetadata: { _ in
            ActorMint.mint(secret: secret, accountID: "svc-orders", role: .system, teamPath: "/", lifetime: .seconds(60))
        })
        var relayConfiguration = OutboxRelay.Configuration()
        relayConfiguration.reportError = reportError
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: relayConfiguration, name: "orders-outbox")
        return [timers, relay]
    }
}
