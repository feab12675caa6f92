import Postgres
import ServiceKit

/// The receiving side of at-least-once delivery: a table of event ids already applied.
/// `applyOnce` inside the transaction that applies the event's effect makes the effect happen
/// once however often the event arrives. A concurrent duplicate waits on the first one's
/// uncommitted row and then gets `false`; if the first rolled back, the duplicate applies it.
public struct ProcessedEvents: Sendable {
    /// Far longer than an outbox's retry horizon, so a late redelivery is still recognised.
    public static let defaultRetention: Duration = .seconds(7 * 24 * 3600)

    private let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// True when this transaction is the first to see `eventID`: apply the effect now.
    /// False when it was applied before: do nothing (and answer as if it had just worked).
    public func applyOnce(in transaction: PostgresTransaction, eventID: String) async throws -> Bool {
        let rows = try await transaction.query("""
            INSERT INTO xsc_processed_events (event_id, processed_at) VALUES ($1, $2)
            ON CONFLICT (event_id) DO NOTHING RETURNING 1
            """, [.text(eventID), .timestampMillis(clock())])
        return !rows.isEmpty
    }

    /// Deletes ids older than `retention`, in batches; returns how many.
    @discardableResult
    public func purge(pool: PostgresPool, olderThan retention: Duration = defaultRetention,
                      batchSize: Int = 1000) async throws -> Int {
        try await BatchedDelete.run(pool: pool, batchSize: batchSize, sql: """
            DELETE FROM xsc_processed_events WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM xsc_processed_events WHERE processed_at < $1 LIMIT $2))
            """, cutoff: clock() - retention.milliseconds)
    }
}
