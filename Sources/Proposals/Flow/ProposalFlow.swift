import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The proposal area's use cases over one database pool. Handlers translate RPCs into these
/// calls; tests call them directly with verified (minted) actors. Every write is one
/// transaction holding the business rows, the outbox messages (SMS, violations) and timers.
public struct ProposalFlow: Sendable {
    let pool: PostgresPool
    let clock: WallClock
    let makeID: @Sendable () -> String
    let timeZone: String
    let store = ProposalStore()
    let violations = ViolationStore()
    let notices = NoticeStore()
    let settings = SettingsStore()
    let directory: PeopleDirectory
    let idempotency: IdempotencyStore
    let timers: Timers
    let notifier: ProposalNotifier
    let publisher: ViolationPublisher

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now,
                makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
                timeZone: String = ServiceConfig.defaultTimeZone) {
        self.pool = pool
        self.clock = clock
        self.makeID = makeID
        self.timeZone = timeZone
        idempotency = IdempotencyStore(clock: clock)
        timers = Timers(clock: clock)
        notifier = ProposalNotifier(outbox: Outbox(clock: clock))
        publisher = ViolationPublisher(outbox: Outbox(clock: clock))
        directory = PeopleDirectory(accounts: AccountDirectory(pool: pool, clock: clock))
    }

    /// One write in one transaction; with an idempotency key, the same key and request answer
    /// the first result again (scope: method and caller, so callers never share keys).
    func write<Request: RPCMessage, Response: RPCMessage>(
        _ method: String, actor: VerifiedActor, key: String?, request: Request,
        _ body: @escaping (PostgresTransaction) async throws -> Response
    ) async throws -> Response {
        try await pool.transaction { tx in
            guard let key else { return try await body(tx) }
            return try await idempotency.run(in: tx, scope: "proposals.\(method)/\(actor.accountID)", key: key,
                                             request: request) { try await body(tx) }
        }
    }

    /// Staff only: partners never reach this service (the gateway), the system only feeds it.
    static func requireStaff(_ actor: VerifiedActor) throws {
        guard actor.role != .partner, actor.role != .system, !actor.teamPath.isEmpty else {
            throw DomainErrors.refused(.permissionDenied, "the proposal area is for staff accounts of a team",
                                       reason: ProposalErrorReason.notAllowed)
        }
    }

    /// Loads a proposal the actor may read, or the one NOT_FOUND answer.
    func readable(_ id: String, actor: VerifiedActor, forUpdate: Bool, in tx: PostgresTransaction) async throws -> ProposalRecord {
        guard !id.isEmpty, id.count <= 100,
              let record = try await store.load(id, forUpdate: forUpdate, in: tx),
              ProposalAccess.canRead(account: actor.accountID, teamPath: actor.teamPath, record.accessFacts) else {
            throw DomainErrors.notFound("proposal", id: id)
        }
        return record
    }

    /// Saves the row and answers with the proposal as now stored (its parts reloaded).
    func saveAndReload(_ record: ProposalRecord, in tx: PostgresTransaction) async throws -> Xsc_Proposals_V1_Proposal {
        _ = try await tx.run([store.saveStatement(record)])
        guard let saved = try await store.load(record.id, forUpdate: false, in: tx) else {
            throw DomainErrors.notFound("proposal", id: record.id)
        }
        return saved.message
    }

    /// Records one miss and sends it to settlements, unless it was recorded before.
    func recordViolation(_ violation: ViolationRecord, in tx: PostgresTransaction) async throws {
        let eventID = makeID()
        if try await violations.insert(violation, eventID: eventID, in: tx) {
            try await publisher.publish(violation, eventID: eventID, in: tx)
        }
    }
}

/// Stable `ErrorInfo.reason`s of the proposal area's refusals.
enum ProposalErrorReason {
    static let notAllowed = "PROPOSAL_NOT_ALLOWED"
    static let illegalState = "PROPOSAL_ILLEGAL_STATE"
    static let noSuperior = "PROPOSAL_NO_SUPERIOR"
    static let directoryPending = "PROPOSAL_DIRECTORY_PENDING"
    static let alreadyDone = "PROPOSAL_ALREADY_DONE"
    static let notYet = "PROPOSAL_NOT_YET"
}

extension ProposalStateMachine.Refusal {
    var rpcError: RPCError {
        switch self {
        case .illegal(let event, let state):
            DomainErrors.refused(.failedPrecondition, "cannot \(event) a proposal that is \(state.word)",
                                 reason: ProposalErrorReason.illegalState)
        }
    }
}

extension ProposalStateMachine {
    /// `handle` with the refusal as the RPC answer.
    mutating func apply(_ event: Event) throws -> [Effect] {
        do { return try handle(event) } catch { throw error.rpcError }
    }
}
