import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The settlements area's use cases over one database pool. Handlers translate RPCs into these
/// calls; tests call them directly with minted actors. Every write is one transaction.
public struct SettlementFlow: Sendable {
    let pool: PostgresPool
    let clock: WallClock
    let calendar: BusinessCalendar
    let bindings: any CustomerBindings
    let newID: @Sendable () -> String
    let processed: ProcessedEvents
    let idempotency: IdempotencyStore
    let timers: Timers
    let rules = RuleStore()
    let recruiters = RecruiterStore()
    let lines = LineStore()
    let statements = StatementStore()
    let earnings = EarningsStore()
    let ledger = ViolationLedgerStore()
    let reimbursements = ReimbursementStore()
    let directory: DirectoryStore
    let notifier: SettlementNotifier

    public static let maxPageSize = 200

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now,
                timeZone: String = ServiceConfig.defaultTimeZone, bindings: any CustomerBindings = AwaitingCustomersService(),
                newID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.pool = pool
        self.clock = clock
        calendar = BusinessCalendar(timeZoneIdentifier: timeZone) ?? BusinessCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        self.bindings = bindings
        self.newID = newID
        processed = ProcessedEvents(clock: clock)
        idempotency = IdempotencyStore(clock: clock)
        timers = Timers(clock: clock)
        directory = DirectoryStore(directory: AccountDirectory(pool: pool, clock: clock))
        notifier = SettlementNotifier(outbox: Outbox(clock: clock))
    }

    /// Events come only from peers' outboxes, signed as their SYSTEM actor.
    func requireSystem(_ actor: VerifiedActor) throws {
        guard actor.role == .system else {
            throw DomainErrors.refused(.permissionDenied, "only the XSC services send events", reason: "SYSTEM_ACTOR_REQUIRED")
        }
    }

    static func ack(_ applied: Bool) -> Xsc_Common_V1_EventAck {
        var ack = Xsc_Common_V1_EventAck()
        ack.applied = applied
        return ack
    }

    /// Capped page size and the key to start after (keyset paging; PageCursor).
    static func page(_ optional: Xsc_Common_V1_PageRequest?, keyParts: Int) throws -> (limit: Int, after: PageCursor?) {
        let request = optional ?? Xsc_Common_V1_PageRequest()
        let size = request.pageSize <= 0 ? 50 : min(Int(request.pageSize), maxPageSize)
        guard !request.cursor.isEmpty else { return (size, nil) }
        guard let cursor = PageCursor(text: request.cursor, count: keyParts), cursor.millis != nil else {
            var violations = FieldViolations()
            violations.add("page.cursor", "not a cursor this list returned; start again without one")
            throw violations.error
        }
        return (size, cursor)
    }

    /// The next page's cursor: the key of the last row, when the page was full.
    static func pageInfo(limit: Int, returned: Int, lastKey: () -> [String]) -> Xsc_Common_V1_PageInfo {
        var info = Xsc_Common_V1_PageInfo()
        if returned == limit { info.nextCursor = PageCursor(lastKey()).text }
        return info
    }
}
