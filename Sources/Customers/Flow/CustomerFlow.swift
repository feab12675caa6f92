import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The customer area's use cases over one database pool. Handlers translate RPCs into these
/// calls; tests call them directly with minted actors and a manual clock. Every write is one
/// transaction holding the business rows, the audit entries, the outbox SMS and the timers.
public struct CustomerFlow: Sendable {
    let pool: PostgresPool
    let clock: WallClock
    let store = CustomerStore()
    let queries = CustomerQueries()
    let followUps = FollowUpStore()
    let duplicates = DuplicateStore()
    let audit = AuditStore()
    let referrals = ReferralStore()
    let directory: MemberDirectory
    let idempotency: IdempotencyStore
    let processed: ProcessedEvents
    let timers: Timers
    let notifier: CustomerNotifier
    let makeID: @Sendable () -> String
    /// The organisation's time zone (times in reminder SMS).
    let timeZone: String
    /// Batches of one import stream written at once (`ImportPipeline`).
    let importBatchesInFlight: Int
    /// The service's log (ServiceHost's): what the flow decides on its own and nobody is
    /// answered about, like an import batch that failed and went row by row.
    let logger: Logger

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now,
                timeZone: String = ServiceConfig.defaultTimeZone, importBatchesInFlight: Int = ImportPipeline.defaultDepth,
                logger: Logger = Logger(service: "customers", level: .warning)) {
        self.pool = pool
        self.logger = logger
        self.clock = clock
        self.timeZone = timeZone
        self.importBatchesInFlight = max(1, importBatchesInFlight)
        directory = MemberDirectory(pool: pool)
        idempotency = IdempotencyStore(clock: clock)
        processed = ProcessedEvents(clock: clock)
        timers = Timers(clock: clock)
        notifier = CustomerNotifier(outbox: Outbox(clock: clock))
        // UUIDv7 (ServiceKit's, as orders use): no system call per id where Foundation's UUID()
        // read /dev/urandom (1% of a registration's service CPU with the lower-casing), and new
        // customers' ids land at the right edge of the primary key's B-tree, not on a random page.
        makeID = SystemIDs.uuidV7
    }

    /// The customer `id` if `member`'s team holds it; otherwise the NOT_FOUND a missing id gets.
    func teamCustomer(_ id: String, for member: TeamMember, forUpdate: Bool = false, in tx: PostgresTransaction) async throws -> CustomerRecord {
        guard let record = try await store.load(id, forUpdate: forUpdate, in: tx), record.teamPath == member.teamPath else {
            throw CustomerErrors.notFound("customer", id)
        }
        return record
    }

    static func requireSystem(_ actor: VerifiedActor, _ what: String) throws {
        guard actor.role == .system else { throw CustomerErrors.systemOnly(what) }
    }
}
