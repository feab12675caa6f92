import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The campaigns area's use cases over one database pool. Handlers translate RPCs into these
/// calls; tests call them directly with minted actors. Every write is one transaction holding
/// the business rows, the outbox messages and the timers.
public struct CampaignFlow: Sendable {
    let pool: PostgresPool
    let clock: WallClock
    let newID: @Sendable () -> String
    let catalog: any OrdersCatalog
    let idempotency: IdempotencyStore
    let timers: Timers
    let directory: AccountDirectory
    let messages: CampaignMessages
    let campaigns = CampaignStore()
    let joins = JoinStore()
    let participations = ParticipationStore()
    let closes = CloseStore()
    /// Participations handled per deadline round (one transaction each), so a campaign of
    /// 100,000 participants closes in bounded transactions that any replica may continue.
    let releaseBatch: Int

    public static let maxPageSize = 100
    public static let defaultPageSize = 20

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now, catalog: any OrdersCatalog = AwaitingOrdersService(),
                releaseBatch: Int = 500, newID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }) {
        self.pool = pool
        self.clock = clock
        self.newID = newID
        self.catalog = catalog
        self.releaseBatch = releaseBatch
        idempotency = IdempotencyStore(clock: clock)
        timers = Timers(clock: clock)
        directory = AccountDirectory(pool: pool, clock: clock)
        messages = CampaignMessages(outbox: Outbox(clock: clock))
    }

    /// Page size capped, 0 meaning the default.
    static func pageSize(_ requested: Int32) -> Int {
        requested <= 0 ? defaultPageSize : min(Int(requested), maxPageSize)
    }

    /// Loads a campaign with its points and the caller's access; NOT_FOUND when it is missing
    /// or the caller may not see it (never told apart).
    func visible(_ id: String, actor: VerifiedActor, in tx: PostgresTransaction,
                 lock: String = "") async throws -> (CampaignRow, [PointRow], CampaignAccess) {
        guard let campaign = try await campaigns.campaign(id: id, in: tx, lock: lock) else { throw DomainErrors.notFound("campaign", id: id) }
        let points = try await campaigns.points(of: campaign.id, in: tx)
        let access = CampaignAccess.of(actor, campaign: campaign, points: points)
        guard access != .none else { throw DomainErrors.notFound("campaign", id: id) }
        return (campaign, points, access)
    }

    /// Events and directory entries come only from peers, signed as their SYSTEM actor.
    func requireSystem(_ actor: VerifiedActor) throws {
        guard actor.role == .system else {
            throw DomainErrors.refused(.permissionDenied, "only the XSC services send this", reason: "SYSTEM_ACTOR_REQUIRED")
        }
    }

    public func setDirectoryEntry(_ entry: Xsc_Common_V1_DirectoryEntry, actor: VerifiedActor) async throws -> Xsc_Common_V1_DirectoryAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if entry.accountId.isEmpty { violations.add("account_id", "required") }
        if entry.version <= 0 { violations.add("version", "must be positive") }
        try violations.check()
        var ack = Xsc_Common_V1_DirectoryAck()
        ack.applied = try await directory.apply(entry)
        return ack
    }
}

/// The stable ErrorInfo reasons of the campaigns service.
enum CampaignErrorReason {
    static let notAllowed = "CAMPAIGN_NOT_ALLOWED"
    static let closed = "CAMPAIGN_CLOSED"
    static let notStarted = "CAMPAIGN_NOT_STARTED"
    static let soldOut = "CAMPAIGN_SOLD_OUT"
    static let perPersonLimit = "CAMPAIGN_PER_PERSON_LIMIT"
    static let notSucceeded = "CAMPAIGN_NOT_SUCCEEDED"
    static let pickupCodeUnknown = "PICKUP_CODE_UNKNOWN"
    static let pickupCodeUsed = "PICKUP_CODE_USED"
    static let participationCancelled = "PARTICIPATION_CANCELLED"
}
