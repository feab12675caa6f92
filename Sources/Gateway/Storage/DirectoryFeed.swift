import Messages
import Postgres
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// The account directory other services keep of the gateway's accounts. Every change of an
/// account (created, disabled, enabled, phone changed) takes a new `contact_version` (one
/// sequence for all accounts) and is queued in the outbox, in the transaction of the change:
/// - to notifications as `SetContact` (whose phone an SMS goes to, whose reply a `1` is);
/// - to orders, customers, proposals, settlements and campaigns as `SetDirectoryEntry` (name, role, node,
///   enabled: who is on a team, who is whose superior, whose name is on a statement).
/// Receivers ignore an entry not newer than the one they hold, so late redeliveries never
/// overwrite a newer state. A receiver down: its rows wait.
public struct DirectoryFeed: Sendable {
    public static let contactDestination = "notifications"
    public static let setContactPath = Xsc_Notifications_V1_NotificationServiceClient.Paths.setContact
    /// The services that keep a directory, and the method each receives it on.
    public static let directoryRoutes: [(destination: String, path: String)] = [
        ("orders", Xsc_Orders_V1_OrderServiceClient.Paths.setDirectoryEntry),
        ("customers", Xsc_Customers_V1_CustomerServiceClient.Paths.setDirectoryEntry),
        ("proposals", Xsc_Proposals_V1_ProposalServiceClient.Paths.setDirectoryEntry),
        ("settlements", Xsc_Settlements_V1_SettlementServiceClient.Paths.setDirectoryEntry),
        ("campaigns", Xsc_Campaigns_V1_CampaignServiceClient.Paths.setDirectoryEntry),
    ]
    /// Every peer the feed delivers to.
    public static var destinations: [String] { [contactDestination] + directoryRoutes.map(\.destination) }

    let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// Queues the account's current entry unless that version was queued before; returns
    /// whether it queued one. Call in the transaction that changed the account (after the
    /// change took a new `contact_version`): the row lock makes two callers queue it once.
    @discardableResult
    public func publish(accountID: String, in transaction: PostgresTransaction) async throws -> Bool {
        let rows = try await transaction.query("""
            UPDATE accounts SET contact_published = contact_version
            WHERE id = $1 AND contact_published < contact_version
            RETURNING phone, enabled, contact_version, name, role, node_path
            """, [.text(accountID)])
        guard let row = rows.first else { return false }
        var contact = Xsc_Notifications_V1_SetContactRequest()
        contact.accountId = accountID
        contact.phone = try row.decode(String.self, column: "phone")
        contact.enabled = try row.decode(Bool.self, column: "enabled")
        contact.version = try row.decode(Int64.self, column: "contact_version")
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = accountID
        entry.name = try row.decode(String.self, column: "name")
        entry.domainRole = try row.decode(String.self, column: "role")
        entry.nodePath = try row.decode(String.self, column: "node_path")
        entry.enabled = contact.enabled
        entry.version = contact.version
        // One event per (account, version, receiver): deterministic ids keep the outbox honest.
        let outbox = Outbox(clock: clock)
        var statements = [outbox.enqueueStatement(destination: Self.contactDestination, methodPath: Self.setContactPath,
                                                  payload: contact.serializedBytes(),
                                                  eventID: "contact-\(accountID)-\(contact.version)")]
        let payload = entry.serializedBytes()
        for route in Self.directoryRoutes {
            statements.append(outbox.enqueueStatement(destination: route.destination, methodPath: route.path, payload: payload,
                                                      eventID: "directory-\(route.destination)-\(accountID)-\(entry.version)"))
        }
        _ = try await transaction.run(statements)
        return true
    }

    /// Publishes up to `limit` accounts whose current entry was never queued (accounts made
    /// before the feed existed, or by hand); returns how many it queued.
    public func backfill(pool: PostgresPool, limit: Int = 500) async throws -> Int {
        try await pool.transaction { transaction in
            let rows = try await transaction.query("""
                SELECT id FROM accounts WHERE contact_published < contact_version ORDER BY id LIMIT $1
                FOR UPDATE SKIP LOCKED
                """, [.int(limit)])
            var queued = 0
            for row in rows {
                if try await publish(accountID: try row.decode(String.self, at: 0), in: transaction) { queued += 1 }
            }
            return queued
        }
    }
}
