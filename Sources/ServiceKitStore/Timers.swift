import Postgres
import ServiceKit

/// Durable timers: one row per (kind, subject) in `xsc_timers`, written in the business
/// transaction, fired by `TimerWorker` on whichever replica claims it first. Nothing about a
/// timer lives only in memory.
public struct Timers: Sendable {
    private let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// Schedules (or re-schedules: the previous due time and payload are replaced, a fired or
    /// dead one becomes pending again) the timer `kind` for `subjectID`, due at `dueAtMillis`
    /// (Unix ms UTC). Safe from inside that same timer's handler.
    public func schedule(in transaction: PostgresTransaction, kind: String, subjectID: String,
                         dueAtMillis: Int64, payload: [UInt8] = []) async throws {
        _ = try await transaction.run([scheduleStatement(kind: kind, subjectID: subjectID, dueAtMillis: dueAtMillis,
                                                         payload: payload)])
    }

    /// The statement `schedule` runs, for a caller that sends it in one round trip with its
    /// other business statements (same transaction, same guarantees).
    public func scheduleStatement(kind: String, subjectID: String, dueAtMillis: Int64,
                                  payload: [UInt8] = []) throws -> PostgresStatement {
        try Self.validate(kind: kind)
        return PostgresStatement("""
            INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at) VALUES ($1, $2, $3, $3, $4, $5)
            ON CONFLICT (kind, subject_id) DO UPDATE SET
                generation = xsc_timers.generation + 1, due_at = EXCLUDED.due_at, fire_at = EXCLUDED.fire_at,
                payload = EXCLUDED.payload,
                state = 'pending', attempts = 0, last_error = NULL, scheduled_at = EXCLUDED.scheduled_at, fired_at = NULL
            """, [.text(kind), .text(subjectID), .timestampMillis(dueAtMillis), .bytea(payload),
                  .timestampMillis(clock())])
    }

    /// When the pending timer `kind` of `subjectID` is due (Unix ms UTC); nil when none is
    /// pending. Lets a business step done after its deadline notice that the timer has not
    /// fired yet (the worker polls, or the service was down).
    public func pendingDue(in transaction: PostgresTransaction, kind: String, subjectID: String) async throws -> Int64? {
        try await transaction.query("""
            SELECT (extract(epoch FROM due_at) * 1000)::bigint FROM xsc_timers
            WHERE kind = $1 AND subject_id = $2 AND state = 'pending'
            """, [.text(kind), .text(subjectID)]).first?.decode(Int64.self, at: 0)
    }

    /// Cancels a pending timer; false when there was none (never scheduled, already fired, or
    /// cancelled). A timer being fired right now is waited for, and then reported as fired.
    @discardableResult
    public func cancel(in transaction: PostgresTransaction, kind: String, subjectID: String) async throws -> Bool {
        try await transaction.execute("""
            DELETE FROM xsc_timers WHERE kind = $1 AND subject_id = $2 AND state = 'pending'
            """, [.text(kind), .text(subjectID)]) == 1
    }

    public enum State: String, Sendable {
        case pending, fired, dead
    }

    public struct Entry: Sendable, Equatable {
        public var kind: String
        public var subjectID: String
        public var dueAtMillis: Int64
        /// When a worker may next claim it (later than `dueAtMillis` after failures).
        public var fireAtMillis: Int64
        public var state: State
        public var attempts: Int
        public var lastError: String?
        public var firedAtMillis: Int64?
    }

    public func entry(pool: PostgresPool, kind: String, subjectID: String) async throws -> Entry? {
        let rows = try await pool.query("""
            SELECT kind, subject_id, due_at, state, attempts, last_error, fired_at, fire_at
            FROM xsc_timers WHERE kind = $1 AND subject_id = $2
            """, [.text(kind), .text(subjectID)])
        return try rows.first.map { row in
            Entry(kind: try row.decode(String.self, at: 0), subjectID: try row.decode(String.self, at: 1),
                  dueAtMillis: try row.decode(Int64.self, at: 2), fireAtMillis: try row.decode(Int64.self, at: 7),
                  state: State(rawValue: try row.decode(String.self, at: 3)) ?? .pending,
                  attempts: try row.decode(Int.self, at: 4), lastError: try row.decode(String?.self, at: 5),
                  firedAtMillis: try row.decode(Int64?.self, at: 6))
        }
    }

    /// Deletes fired timers older than `retention`, in batches (pending and dead ones stay).
    @discardableResult
    public func purgeFired(pool: PostgresPool, olderThan retention: Duration = .seconds(7 * 24 * 3600),
                           batchSize: Int = 1000) async throws -> Int {
        try await BatchedDelete.run(pool: pool, batchSize: batchSize, sql: """
            DELETE FROM xsc_timers WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM xsc_timers WHERE state = 'fired' AND fired_at < $1 LIMIT $2))
            """, cutoff: clock() - retention.milliseconds)
    }

    /// Kinds travel to the claim query as one comma-separated parameter, so they are kept to
    /// a plain alphabet.
    static func validate(kind: String) throws {
        let allowed = kind.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-"
        }
        guard !kind.isEmpty, kind.count <= 100, allowed else {
            throw PostgresError(.usage, "timer kind \"\(kind)\" must be 1-100 of [a-z0-9_.-]")
        }
    }
}
