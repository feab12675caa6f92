import Messages
import Postgres

/// Feed positions (see migration 0003): given to committed events by one sequencer at a time,
/// so reading by position never skips an event that commits late.
struct FeedStore: Sendable {
    /// Any constant identifying the orders feed's sequencer lock.
    static let sequencerLock: Int64 = 7_101_000_001

    /// Positions every committed, unpositioned event, in event order. One round trip.
    func sequence(pool: PostgresPool) async throws {
        try await pool.transaction(batch: Self.sequenceStatements)
    }

    /// The sequencer's statements, for a reader that sends its own query in the same round trip
    /// after them (the operations board's watch, `BoardStore.changes`).
    static let sequenceStatements = [
        PostgresStatement("SELECT pg_advisory_xact_lock($1)", [.int64(sequencerLock)]),
        PostgresStatement("""
            UPDATE order_events e SET feed_position = p.position
            FROM (SELECT sequence, nextval('order_feed_position_seq') AS position
                  FROM (SELECT sequence FROM order_events WHERE feed_position IS NULL ORDER BY sequence) ordered) p
            WHERE e.sequence = p.sequence
            """),
    ]

    struct Entry: Sendable {
        var position: Int64
        var event: Xsc_Orders_V1_OrderEvent
    }

    /// The partner's positioned events after `position`, oldest first.
    func events(partner: String, after position: Int64, limit: Int, in tx: PostgresTransaction) async throws -> [Entry] {
        let rows = try await tx.query("""
            SELECT e.feed_position, e.sequence, e.order_id, e.kind, e.from_state, e.to_state, e.actor_account_id, e.at, e.detail
            FROM order_events e JOIN orders o ON o.id = e.order_id
            WHERE o.partner_id = $1 AND e.feed_position > $2
              AND e.kind NOT IN ('sla_violation', 'sla_violation_withdrawn', 'sla_escalated', 'prompt_undelivered')
            ORDER BY e.feed_position LIMIT $3
            """, [.text(partner), .int64(position), .int(limit)])
        return try rows.map { row in
            var event = Xsc_Orders_V1_OrderEvent()
            event.sequence = try row.decode(Int64.self, at: 1)
            event.orderId = try row.decode(String.self, at: 2)
            event.kind = try row.decode(String.self, at: 3)
            event.fromState = OrderState(storedName: try row.decode(String.self, at: 4))
            event.toState = OrderState(storedName: try row.decode(String.self, at: 5))
            event.actorAccountId = try row.decode(String.self, at: 6)
            event.atMs = try row.decode(Int64.self, at: 7)
            event.detail = try row.decode(String.self, at: 8)
            return Entry(position: try row.decode(Int64.self, at: 0), event: event)
        }
    }
}
