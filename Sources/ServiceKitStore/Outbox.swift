import Foundation
import Postgres
import ProtoCodec
import ServiceKit

/// The sending side of cross-service effects: `enqueue` writes the message in the business
/// transaction, so it exists exactly when the business change does; `OutboxRelay` delivers
/// it later (at least once, the event id as idempotency key). Also the operator's view:
/// dead letters and re-driving them.
public struct Outbox: Sendable {
    let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// A new unguessable event id (a UUIDv7: time-ordered, 74 random bits, no system call).
    public static func makeEventID() -> String {
        SystemIDs.uuidV7()
    }

    /// Queues one unary call to `destination` (a peer name the deliverer knows, e.g.
    /// "notifications") at `methodPath` ("/xsc.notifications.v1.NotificationService/Send")
    /// with `payload` (the encoded request). Due at once. An event id used before is an
    /// error (unique violation): ids name one event.
    public func enqueue(in transaction: PostgresTransaction, destination: String, methodPath: String,
                        payload: [UInt8], eventID: String = Outbox.makeEventID()) async throws {
        _ = try await transaction.run([enqueueStatement(destination: destination, methodPath: methodPath, payload: payload,
                                                        eventID: eventID)])
    }

    /// The statement `enqueue` runs, for a caller that sends it in one round trip with its
    /// other business statements (same transaction, same guarantees).
    ///
    /// It carries the row as a commit note: once the transaction has committed, the pool hands
    /// it to this process's relay (`OutboxRelay`, configured with `handOff`), which delivers it
    /// at once without claiming it. The row is the durable fallback: if the process dies first,
    /// or the note never comes, the relays' poll delivers the row when its in-process lease
    /// (the claim lease, counted from `created_at`) has run out.
    public func enqueueStatement(destination: String, methodPath: String, payload: [UInt8],
                                 eventID: String = Outbox.makeEventID()) -> PostgresStatement {
        let now = clock()
        let traceparent = TraceContext.current?.traceparent
        return PostgresStatement("""
            INSERT INTO xsc_outbox (event_id, destination, method_path, payload, next_attempt_at, created_at, traceparent)
            VALUES ($1, $2, $3, $4, $5, $5, $6)
            """, [.text(eventID), .text(destination), .text(methodPath), .bytea(payload), .timestampMillis(now),
                  traceparent.map(PostgresValue.text) ?? .null],
            commitNote: FreshOutboxRow(message: OutboxMessage(eventID: eventID, destination: destination, methodPath: methodPath,
                                                              payload: payload, attempt: 1, traceparent: traceparent),
                                       createdAtMillis: now))
    }

    /// `enqueue` with a message to encode.
    public func enqueue(in transaction: PostgresTransaction, destination: String, methodPath: String,
                        message: some ProtoMessage, eventID: String = Outbox.makeEventID()) async throws {
        try await enqueue(in: transaction, destination: destination, methodPath: methodPath,
                          payload: message.serializedBytes(), eventID: eventID)
    }

    public enum State: String, Sendable {
        case pending, delivered, dead
    }

    /// One row, as operators and tests see it.
    public struct Entry: Sendable, Equatable {
        public var eventID: String
        public var destination: String
        public var methodPath: String
        public var state: State
        public var attempts: Int
        public var lastError: String?
        public var nextAttemptAtMillis: Int64
        public var createdAtMillis: Int64
        public var deliveredAtMillis: Int64?
    }

    public func entry(pool: PostgresPool, eventID: String) async throws -> Entry? {
        let rows = try await pool.query("SELECT \(Self.entryColumns) FROM xsc_outbox WHERE event_id = $1", [.text(eventID)])
        return try rows.first.map(Self.decodeEntry)
    }

    /// Dead letters, oldest first.
    public func deadLetters(pool: PostgresPool, limit: Int = 100) async throws -> [Entry] {
        let rows = try await pool.query("""
            SELECT \(Self.entryColumns) FROM xsc_outbox WHERE state = 'dead' ORDER BY id LIMIT $1
            """, [.int(limit)])
        return try rows.map(Self.decodeEntry)
    }

    /// Number of rows per state (for metrics and status pages).
    public func counts(pool: PostgresPool) async throws -> [State: Int] {
        let rows = try await pool.query("SELECT state, count(*) FROM xsc_outbox GROUP BY state")
        var counts: [State: Int] = [:]
        for row in rows {
            if let state = State(rawValue: try row.decode(String.self, at: 0)) { counts[state] = try row.decode(Int.self, at: 1) }
        }
        return counts
    }

    /// Gives dead letters a fresh start (attempts reset, due now); `last_error` is kept until
    /// the next attempt. Nil `eventIDs` re-drives every dead letter. Returns how many.
    @discardableResult
    public func redrive(pool: PostgresPool, eventIDs: [String]? = nil) async throws -> Int {
        let now = PostgresValue.timestampMillis(clock())
        guard let eventIDs else {
            return try await pool.execute("""
                UPDATE xsc_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_token = NULL, leased_until = NULL
                WHERE state = 'dead'
                """, [now])
        }
        var total = 0
        for eventID in eventIDs {
            total += try await pool.execute("""
                UPDATE xsc_outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_token = NULL, leased_until = NULL
                WHERE state = 'dead' AND event_id = $2
                """, [now, .text(eventID)])
        }
        return total
    }

    /// Deletes delivered rows older than `retention`, in batches (pending and dead rows stay).
    @discardableResult
    public func purgeDelivered(pool: PostgresPool, olderThan retention: Duration = .seconds(7 * 24 * 3600),
                               batchSize: Int = 1000) async throws -> Int {
        try await BatchedDelete.run(pool: pool, batchSize: batchSize, sql: """
            DELETE FROM xsc_outbox WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM xsc_outbox WHERE state = 'delivered' AND delivered_at < $1 LIMIT $2))
            """, cutoff: clock() - retention.milliseconds)
    }

    static let entryColumns = """
        event_id, destination, method_path, state, attempts, last_error, next_attempt_at, created_at, delivered_at
        """

    static func decodeEntry(_ row: PostgresRow) throws -> Entry {
        Entry(eventID: try row.decode(String.self, at: 0),
              destination: try row.decode(String.self, at: 1),
              methodPath: try row.decode(String.self, at: 2),
              state: State(rawValue: try row.decode(String.self, at: 3)) ?? .pending,
              attempts: try row.decode(Int.self, at: 4),
              lastError: try row.decode(String?.self, at: 5),
              nextAttemptAtMillis: try row.decode(Int64.self, at: 6),
              createdAtMillis: try row.decode(Int64.self, at: 7),
              deliveredAtMillis: try row.decode(Int64?.self, at: 8))
    }
}
