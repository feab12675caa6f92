import Postgres
import RPC
import ServiceKit

extension OutboxRelay {
    /// A service's outbox relay as every service runs it: one channel per configured peer,
    /// each call signed as the service's SYSTEM actor (`accountID`) for the receiving peer (the
    /// audience), a lease from the configuration, and `retry` before a row is a dead letter.
    /// Only `permanentCodes` dead-letter a row at once (the receiver refused the request as such).
    public static func forService(accountID: String, peers: [String], config: ServiceConfig, pool: PostgresPool,
                                  retry: RetryPolicy, permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange],
                                  reportError: @escaping WorkerErrorReporter, name: String) -> OutboxRelay {
        var channels: [String: RPCChannel] = [:]
        for peer in peers {
            if let address = config.peers[peer] { channels[peer] = RPCChannel(host: address.host, port: address.port) }
        }
        let secret = config.actorSecret
        let table = channels
        let deliverer = RPCOutboxDeliverer(timeout: config.deliveryCallTimeout, permanentCodes: permanentCodes, extraMetadata: { message in
            ActorMint.mint(secret: secret, accountID: accountID, role: .system, teamPath: "/", lifetime: .seconds(60),
                           audience: message.destination)
        }, channels: { table[$0] })
        var configuration = OutboxRelay.Configuration()
        configuration.retry = retry
        configuration.lease = config.claimLease
        configuration.reportError = reportError
        return OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration, name: name)
    }
}
