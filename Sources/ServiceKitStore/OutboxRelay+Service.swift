import Postgres
import RPC
import ServiceKit
import Synchronization

extension OutboxRelay {
    /// A service's outbox relay as every service runs it: one channel per configured peer (all
    /// on one loop thread, where a hand-over task would run too), each call signed as the
    /// service's SYSTEM actor (`accountID`) for the receiving peer (the audience), a lease from
    /// the configuration and `retry` before a row is a dead letter. Only `permanentCodes`
    /// dead-letter a row at once (the receiver refused the request as such).
    public static func forService(accountID: String, peers: [String], config: ServiceConfig, pool: PostgresPool,
                                  retry: RetryPolicy, permanentCodes: Set<StatusCode> = [.invalidArgument, .outOfRange],
                                  reportError: @escaping WorkerErrorReporter, name: String) -> OutboxRelay {
        var channels: [String: RPCChannel] = [:]
        var first: RPCChannel?
        for peer in peers {
            guard let address = config.peers[peer] else { continue }
            let channel = first?.sibling(host: address.host, port: address.port) ?? RPCChannel(host: address.host, port: address.port)
            if first == nil { first = channel }
            channels[peer] = channel
        }
        let secret = config.actorSecret
        let table = channels
        let signed = SignedActorCache(lifetime: .seconds(60)) { destination, now in
            ActorMint.mint(secret: secret, accountID: accountID, role: .system, teamPath: "/", lifetime: .seconds(60),
                           audience: destination, now: now)
        }
        let deliverer = RPCOutboxDeliverer(timeout: config.deliveryCallTimeout, permanentCodes: permanentCodes, extraMetadata: { message in
            signed.metadata(for: message.destination)
        }, channels: { table[$0] })
        var configuration = OutboxRelay.Configuration()
        configuration.retry = retry
        configuration.lease = config.claimLease
        configuration.reportError = reportError
        // XSC_OUTBOX_HANDOFF (bench/README.md, "Issue 15 (session 6)").
        configuration.handOff = config.outboxHandOff
        configuration.handOffExecutor = first?.taskExecutor
        configuration.pollExecutor = first?.taskExecutor
        return OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration, name: name)
    }
}

/// The relay's signed SYSTEM actor per receiving peer, minted again once half its lifetime has
/// passed rather than for every message (an HMAC, a random request id and an encoding each).
/// The actor names the service, not a request, so calls in the same half-minute sharing one is
/// what a fresh one per call would say too; each call still carries its own idempotency key.
final class SignedActorCache: Sendable {
    private let lifetimeMillis: Int64
    private let mint: @Sendable (String, Int64) -> Metadata
    private let clock: WallClock
    private let minted = Mutex<[String: (metadata: Metadata, mintedAt: Int64)]>([:])
    /// The last audience's entry: a relay's batch mostly goes to one peer, and a String
    /// comparison is cheaper than hashing the name per message.
    private let last = Mutex<(audience: String, metadata: Metadata, mintedAt: Int64)?>(nil)

    init(lifetime: Duration, clock: @escaping WallClock = SystemWallClock.now,
         mint: @escaping @Sendable (_ audience: String, _ now: Int64) -> Metadata) {
        lifetimeMillis = lifetime.milliseconds
        self.clock = clock
        self.mint = mint
    }

    func metadata(for audience: String) -> Metadata {
        let now = clock()
        if let recent = last.withLock({ $0 }), recent.audience == audience,
           now - recent.mintedAt < lifetimeMillis / 2, now >= recent.mintedAt {
            return recent.metadata
        }
        if let cached = minted.withLock({ $0[audience] }), now - cached.mintedAt < lifetimeMillis / 2, now >= cached.mintedAt {
            last.withLock { $0 = (audience, cached.metadata, cached.mintedAt) }
            return cached.metadata
        }
        let fresh = mint(audience, now)
        minted.withLock { $0[audience] = (fresh, now) }
        last.withLock { $0 = (audience, fresh, now) }
        return fresh
    }
}
