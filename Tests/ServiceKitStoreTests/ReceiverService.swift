import XSCTestSupport
import Postgres
import ProtoCodec
import RPC
import ServiceKitStore
import Synchronization

/// A peer service receiving outbox deliveries: it takes the event id from the
/// `idempotency-key` metadata and applies each event's effect (a row in `effects`) once,
/// however often the event arrives. Counts every arrival per event id.
final class ReceiverService: RPCServiceProvider, Sendable {
    static let path = "/test.Receiver/Apply"
    let pool: PostgresPool
    private let arrivals = Mutex<[String: Int]>([:])

    init(pool: PostgresPool) { self.pool = pool }

    static let migrations = [
        Migration(version: 1, name: "effects", sql: "CREATE TABLE effects (event_id text NOT NULL, payload bytea NOT NULL);"),
    ]

    var arrivalCounts: [String: Int] { arrivals.withLock { $0 } }

    var rpcService: RPCService {
        RPCService(name: "test.Receiver", methods: [
            .unary("Apply") { [self] (request: OpaqueMessage, context: ServerContext) -> OpaqueMessage in
                guard let eventID = IdempotencyStore.key(from: context.requestMetadata) else {
                    throw RPCError(code: .invalidArgument, message: "no idempotency-key")
                }
                arrivals.withLock { $0[eventID, default: 0] += 1 }
                try await pool.transaction { transaction in
                    guard try await ProcessedEvents().applyOnce(in: transaction, eventID: eventID) else { return }
                    try await transaction.execute("INSERT INTO effects (event_id, payload) VALUES ($1, $2)",
                                                  [.text(eventID), .bytea(request.bytes)])
                }
                return OpaqueMessage()
            },
        ])
    }
}

/// Wraps a deliverer and simulates a relay that dies after delivering: once `healthyDeliveries`
/// calls have gone through, every further call still delivers and then never returns (until
/// its task is cancelled, which is how the test "kills" the relay).
final class DyingDeliverer: OutboxDeliverer {
    private let inner: any OutboxDeliverer
    private let healthyDeliveries: Int
    private let calls = Atomic<Int>(0)
    let stuck = Atomic<Int>(0)

    init(inner: any OutboxDeliverer, healthyDeliveries: Int) {
        self.inner = inner
        self.healthyDeliveries = healthyDeliveries
    }

    func deliver(_ message: OutboxMessage) async throws {
        try await inner.deliver(message)
        if calls.add(1, ordering: .relaxed).newValue > healthyDeliveries {
            stuck.add(1, ordering: .relaxed)
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

/// A deliverer whose behaviour the test sets: fail (retryable or permanent) or succeed.
final class ScriptedDeliverer: OutboxDeliverer {
    enum Mode: Sendable { case succeed, failRetryable, failPermanent }
    let mode: Mutex<Mode>
    let delivered = Mutex<[String]>([])

    init(_ mode: Mode) { self.mode = Mutex(mode) }

    struct PeerDown: Error, CustomStringConvertible { var description: String { "peer down (test)" } }

    func deliver(_ message: OutboxMessage) async throws {
        switch mode.withLock({ $0 }) {
        case .succeed: delivered.withLock { $0.append(message.eventID) }
        case .failRetryable: throw PeerDown()
        case .failPermanent: throw OutboxDeliveryError.permanent("rejected (test)")
        }
    }
}
