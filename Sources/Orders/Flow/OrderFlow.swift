import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The order area's use cases over one database pool. Handlers translate RPCs into these
/// calls; tests call them directly with verified (minted) actors. Every write is one
/// transaction holding the business rows, the events, the outbox messages and the timers.
public struct OrderFlow: Sendable {
    let pool: PostgresPool
    let clock: WallClock
    /// New order ids (UUIDv7 text).
    let newID: IDGenerator
    let store = OrderStore()
    let violations = ViolationStore()
    let catalog = CatalogStore()
    /// The intake's routing and prices by catalog version, and its order codes in blocks:
    /// shared by the copies of this flow, so one per service process (IntakeCatalogCache).
    let intakeCatalog = IntakeCatalogCache()
    let orderCodes = OrderCodeBlocks()
    /// The intake's one write statement, fused once per combination of its parts.
    let intakeWriteShapes = StatementFusion.Shapes()
    let promotions = PromotionStore()
    let idempotency: IdempotencyStore
    let notifier: OrderNotifier
    let publisher: OrderPublisher
    let deadlines: SLADeadlines
    /// The gateway's accounts as fed to orders (`SetDirectoryEntry`): routing checks and the
    /// escalation ladder read it.
    let directory: AccountDirectory
    let regionSettings = RegionSettingsStore()
    /// The organisation's time zone (reports' weekdays and hours).
    let timeZone: String
    /// Quarters (promotion reimbursement) in the organisation's zone.
    let calendar: BusinessCalendar
    /// Intermediaries' short referral codes (ReferrerResolution): the customers service.
    let referralCodes: any ReferralCodes

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now,
                timeZone: String = ServiceConfig.defaultTimeZone, referralCodes: any ReferralCodes = NoReferralCodes(),
                ids: @escaping IDGenerator = SystemIDs.uuidV7) {
        self.pool = pool
        self.referralCodes = referralCodes
        self.clock = clock
        self.newID = ids
        self.timeZone = timeZone
        // Configuration refuses an unknown zone at start; UTC only keeps a test's typo harmless.
        calendar = BusinessCalendar(timeZoneIdentifier: timeZone) ?? BusinessCalendar(timeZoneIdentifier: "UTC")!
        idempotency = IdempotencyStore(clock: clock)
        notifier = OrderNotifier(outbox: Outbox(clock: clock))
        publisher = OrderPublisher(outbox: Outbox(clock: clock))
        deadlines = SLADeadlines(timers: Timers(clock: clock))
        directory = AccountDirectory(pool: pool, clock: clock)
    }

    /// Runs one transition of `orderID` for `actor`: loads and locks the order (NOT_FOUND when
    /// the actor may not see it), checks the state machine (FAILED_PRECONDITION), lets
    /// `authorize` refuse, applies `change`, records the event, then runs `effects` (timers,
    /// notifications) in the same transaction.
    func transition(_ action: OrderAction, orderID: String, actor: EventActor, viewer: OrderViewer, detail: String = "",
                    authorize: (OrderRecord, Routing) throws -> Void,
                    change: (inout OrderRecord) throws -> Void = { _ in },
                    effects: (OrderRecord, Routing, PostgresTransaction) async throws -> Void = { _, _, _ in }) async throws -> Xsc_Orders_V1_Order {
        try await pool.transaction { tx in
            guard let (loaded, access) = try await store.load(orderID, viewer: viewer, in: tx, forUpdate: true) else {
                throw RPCError.orderNotFound(orderID)
            }
            return try await apply(action, to: loaded, actor: actor, detail: detail, access: access, in: tx,
                                   authorize: authorize, change: change, effects: effects)
        }
    }

    /// `transition` on an order already loaded and locked in `tx`. The event counts at `at`
    /// (default: now); `change` sees that time as the order's `updatedAtMillis`.
    func apply(_ action: OrderAction, to loaded: OrderRecord, actor: EventActor, detail: String = "", at: Int64? = nil,
               access: OrderAccess = .full, in tx: PostgresTransaction,
               authorize: (OrderRecord, Routing) throws -> Void,
               change: (inout OrderRecord) throws -> Void,
               effects: (OrderRecord, Routing, PostgresTransaction) async throws -> Void) async throws -> Xsc_Orders_V1_Order {
        guard action.allowedFrom.contains(loaded.state) else {
            throw RPCError.illegalTransition(action, from: loaded.state)
        }
        guard let routing = try await catalog.routing(district: loaded.districtID, in: tx) else {
            throw RPCError(code: .failedPrecondition, message: "district \(loaded.districtID) has no routing any more")
        }
        try authorize(loaded, routing)
        let now = at ?? clock()
        try await recordOverdueSteps(of: loaded, routing: routing, doneAt: now, in: tx)
        var order = loaded
        order.state = action.target
        order.updatedAtMillis = now
        try change(&order)
        try await store.recordTransition(order, from: loaded.state, kind: action.eventKind, actor: actor, at: now, detail: detail, in: tx)
        try await effects(order, routing, tx)
        return order.message(access: access)
    }
}

extension RPCError {
    static func illegalTransition(_ action: OrderAction, from state: OrderState) -> RPCError {
        .orders(.failedPrecondition, "cannot \(action.rawValue.replacingOccurrences(of: "_", with: " ")) an order that is \(state.storedName)",
                reason: OrderErrorReason.illegalTransition)
    }

    static func notAllowed(_ message: String) -> RPCError {
        .orders(.permissionDenied, message, reason: OrderErrorReason.notAllowed)
    }
}

extension EventActor {
    init(_ actor: VerifiedActor) {
        // The exact DOMAIN.md role when the gateway signed one: the event log names who acted as what.
        self.init(accountID: actor.accountID, role: actor.domainRole.isEmpty ? actor.role.roleName : actor.domainRole)
    }
}

extension VerifiedActor.Role {
    var roleName: String {
        switch self {
        case .staff: "staff"
        case .manager: "manager"
        case .admin: "admin"
        case .partner: "partner"
        case .system: "system"
        default: "unknown"
        }
    }
}
