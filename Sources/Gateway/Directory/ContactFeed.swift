import Messages
import Postgres
import ServiceKit
import ServiceKitStore

/// The account directory the notifications service needs (whose phone an SMS goes to, whose
/// reply a `1` is): every change of an account's phone or enabled flag is queued in the
/// outbox, in the transaction of the change, as `SetContact` to notifications. The entry
/// carries the account's `contact_version` (one sequence for all accounts), which the
/// receiver uses to ignore late redeliveries. Notifications down: the rows wait.
public struct ContactFeed: Sendable {
    public static let destination = "notifications"
    public static let setContactPath = "/xsc.notifications.v1.NotificationService/SetContact"

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
            RETURNING phone, enabled, contact_version
            """, [.text(accountID)])
        guard let row = rows.first else { return false }
        var entry = Xsc_Notifications_V1_SetContactRequest()
        entry.accountId = accountID
        entry.phone = try row.decode(String.self, at: 0)
        entry.enabled = try row.decode(Bool.self, at: 1)
        entry.version = try row.decode(Int64.self, at: 2)
        // One event per (account, version): a deterministic id keeps the outbox honest.
        try await Outbox(clock: clock).enqueue(in: transaction, destination: Self.destination, methodPath: Self.setContactPath,
                                               message: entry, eventID: "contact-\(accountID)-\(entry.version)")
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
