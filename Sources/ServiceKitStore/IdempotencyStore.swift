import Postgres
import ProtoCodec
import RPC
import ServiceKit

/// Idempotency keys with Stripe's semantics, kept in `xsc_idempotency_keys` and used INSIDE
/// the business transaction, so the key, the business rows and the answer commit together:
///
/// - same (scope, key) and same request (sha256 of its encoded bytes, computed by PostgreSQL)
///   -> the first answer again, without running the business logic;
/// - same key, different request -> FAILED_PRECONDITION, reason `IDEMPOTENCY_KEY_REUSED`
///   (not ALREADY_EXISTS: no resource is duplicated, the key's state conflicts with the call);
/// - concurrent duplicates: the claiming INSERT waits on the first transaction's uncommitted
///   key row (unique index), then sees its committed answer and replays it;
/// - a first attempt that fails rolls back and leaves no key, so a retry runs for real.
///
/// Transactions at REPEATABLE READ or SERIALIZABLE get a serialization failure instead of
/// waiting (the committed key is outside their snapshot); the pool retries those, and the
/// retry replays. Keys are kept at least 24 h; `purge` (run by `RetentionSweeper`) drops older.
public struct IdempotencyStore: Sendable {
    /// Metadata header carrying the key (the outbox relay sends its event ids in it too).
    public static let metadataKey = "idempotency-key"
    public static let maxKeyLength = 255
    public static let minimumRetention: Duration = .seconds(24 * 3600)

    private let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// What a call's key decides.
    public enum Claim: Sendable {
        /// First use: run the business logic, then `record` its answer in the same transaction.
        case fresh(Ticket)
        /// Seen before with the same request: return this instead.
        case replay(StoredAnswer)
    }

    public struct Ticket: Sendable {
        public let scope: String
        public let key: String
    }

    /// An answer as stored: the status and, for OK, the encoded response message.
    public struct StoredAnswer: Sendable, Equatable {
        public var status: StatusCode
        public var message: String
        public var response: [UInt8]

        public init(status: StatusCode = .ok, message: String = "", response: [UInt8]) {
            self.status = status
            self.message = message
            self.response = response
        }
    }

    /// The key a caller sent in metadata, if any.
    public static func key(from metadata: Metadata) -> String? {
        metadata[metadataKey]
    }

    /// The call's key, read from its headers without decoding all of its metadata.
    public static func key(from context: ServerContext) -> String? {
        context.requestText(metadataKey)
    }

    /// Claims (scope, key) for this request in `transaction`, or finds its earlier answer.
    /// `scope` separates key spaces, e.g. "orders.CreateOrder/<account id>", so two callers
    /// can never replay each other's answers.
    public func claim(in transaction: PostgresTransaction, scope: String, key: String,
                      request: [UInt8]) async throws -> Claim {
        let results = try await transaction.run(try claimStatements(scope: scope, key: key, request: request))
        return try claim(from: results, scope: scope, key: key)
    }

    /// The statements of `claim`, for a caller that sends them in one round trip with other
    /// statements of the same transaction; `claim(from:scope:key:)` reads their results.
    /// The SELECT is a separate statement so it takes a fresh snapshot after the INSERT has
    /// waited out a concurrent first attempt.
    public func claimStatements(scope: String, key: String, request: [UInt8]) throws -> [PostgresStatement] {
        try Self.validate(key: key)
        return [
            PostgresStatement("""
                INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at)
                VALUES ($1, $2, sha256($3), $4)
                ON CONFLICT (scope, idempotency_key) DO NOTHING
                RETURNING 1
                """, [.text(scope), .text(key), .bytea(request), .timestampMillis(clock())]),
            PostgresStatement("""
                SELECT request_sha256 = sha256($3), status_code, status_message, response
                FROM xsc_idempotency_keys WHERE scope = $1 AND idempotency_key = $2
                """, [.text(scope), .text(key), .bytea(request)]),
        ]
    }

    /// What the results of `claimStatements` (the first two of `results`) decide.
    public func claim(from results: some Collection<PostgresRows>, scope: String, key: String) throws -> Claim {
        guard let inserted = results.first, let read = results.dropFirst().first else {
            throw PostgresError(.usage, "claim(from:) needs the results of both claim statements")
        }
        if !inserted.isEmpty { return .fresh(Ticket(scope: scope, key: key)) }
        guard let row = read.first else {
            // Only possible if a sweeper removed the key between the two statements.
            throw RPCError(code: .aborted, message: "the idempotency key changed concurrently; retry the call")
        }
        return .replay(try Self.earlierAnswer(row, key: key))
    }

    // MARK: Optimistic form (one round trip less, same outcomes)

    /// For a transaction that sends all its writes in one round trip: `lookupStatement` goes
    /// with its reads (an answer already committed for the key is replayed, see `lookup`), and
    /// `answeredInsertStatement` with its writes: the key and its answer in one INSERT, no
    /// claim row to update later. A concurrent first attempt with the same key makes that
    /// INSERT wait for it and then fail (`isKeyTaken`); the caller rolls back and answers
    /// through `claim`/`run`, which replays or refuses exactly as for a sequential duplicate.
    public func lookupStatement(scope: String, key: String, request: [UInt8]) throws -> PostgresStatement {
        try Self.validate(key: key)
        return PostgresStatement("""
            SELECT request_sha256 = sha256($3), status_code, status_message, response
            FROM xsc_idempotency_keys WHERE scope = $1 AND idempotency_key = $2
            """, [.text(scope), .text(key), .bytea(request)])
    }

    /// The earlier answer `lookupStatement` found, or nil when the key is new.
    public func lookup(from rows: PostgresRows, key: String) throws -> StoredAnswer? {
        guard let row = rows.first else { return nil }
        return try Self.earlierAnswer(row, key: key)
    }

    /// The key with its answer, written with the business rows (see `lookupStatement`).
    public func answeredInsertStatement(scope: String, key: String, request: [UInt8],
                                        answer: StoredAnswer) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO xsc_idempotency_keys (scope, idempotency_key, request_sha256, created_at, status_code, status_message, response)
            VALUES ($1, $2, sha256($3), $4, $5, $6, $7)
            """, [.text(scope), .text(key), .bytea(request), .timestampMillis(clock()), .int(answer.status.rawValue),
                  .text(answer.message), .bytea(answer.response)])
    }

    /// The failure of `answeredInsertStatement` when the key was taken meanwhile.
    public static func isKeyTaken(_ error: Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUniqueViolation && error.constraint == "xsc_idempotency_keys_pkey"
    }

    /// The key's shape check alone, for a caller that writes `answeredInsertStatement` without
    /// reading the key first (a key taken meanwhile fails that INSERT: `isKeyTaken`).
    public static func check(key: String) throws { try validate(key: key) }

    private static func validate(key: String) throws {
        guard !key.isEmpty, key.utf8.count <= maxKeyLength else {
            throw RPCError.withReason(.invalidArgument,
                                      "the idempotency key must be 1 to \(maxKeyLength) bytes long",
                                      reason: StoreErrorReason.idempotencyKeyInvalid)
        }
    }

    /// The stored answer of a key seen before, if this is the same request.
    private static func earlierAnswer(_ row: PostgresRow, key: String) throws -> StoredAnswer {
        guard try row.decode(Bool.self, at: 0) else {
            throw RPCError.withReason(
                .failedPrecondition,
                "idempotency key \"\(key)\" was already used with a different request; send the same request to get its answer, or use a new key",
                reason: StoreErrorReason.idempotencyKeyReused)
        }
        guard let code = try row.decode(Int?.self, at: 1) else {
            throw RPCError.withReason(.internalError, "the earlier call with this idempotency key recorded no answer",
                                      reason: StoreErrorReason.idempotencyAnswerMissing)
        }
        return StoredAnswer(status: StatusCode(rawValue: code) ?? .unknown,
                            message: try row.decode(String?.self, at: 2) ?? "",
                            response: try row.decode([UInt8]?.self, at: 3) ?? [])
    }

    /// Stores the answer of a fresh claim; must run in the transaction that claimed it.
    public func record(in transaction: PostgresTransaction, _ ticket: Ticket, answer: StoredAnswer) async throws {
        try Self.checkRecorded(try await transaction.run([recordStatement(ticket, answer: answer)])[0])
    }

    /// The statement of `record`, for a caller that sends it with other statements; pass its
    /// result to `checkRecorded`.
    public func recordStatement(_ ticket: Ticket, answer: StoredAnswer) -> PostgresStatement {
        PostgresStatement("""
            UPDATE xsc_idempotency_keys SET status_code = $3, status_message = $4, response = $5
            WHERE scope = $1 AND idempotency_key = $2 AND status_code IS NULL
            """, [.text(ticket.scope), .text(ticket.key), .int(answer.status.rawValue), .text(answer.message),
                  .bytea(answer.response)])
    }

    /// Throws unless the record statement stored the answer.
    public static func checkRecorded(_ result: PostgresRows) throws {
        guard result.affectedRows == 1 else {
            throw PostgresError(.usage, "idempotency key was not claimed in this transaction, or already answered")
        }
    }

    /// The usual shape of an idempotent write: replays the stored answer, or runs `body` (the
    /// business logic, in `transaction`) and stores its response. A stored error status is
    /// replayed as an `RPCError`. If `body` throws, the caller's transaction rolls back and
    /// the key with it.
    public func run<Request: ProtoMessage, Response: ProtoMessage>(
        in transaction: PostgresTransaction, scope: String, key: String, request: Request,
        _ body: () async throws -> Response
    ) async throws -> Response {
        try await run(in: transaction, scope: scope, key: key, requestBytes: request.serializedBytes(), body)
    }

    /// `run` for a caller that already has the bytes that identify its request (a normalised
    /// form it encoded anyway): the same bytes must be given on every path that writes or
    /// checks this scope's keys.
    public func run<Response: ProtoMessage>(
        in transaction: PostgresTransaction, scope: String, key: String, requestBytes: [UInt8],
        _ body: () async throws -> Response
    ) async throws -> Response {
        switch try await claim(in: transaction, scope: scope, key: key, request: requestBytes) {
        case .replay(let answer):
            guard answer.status == .ok else { throw RPCError(code: answer.status, message: answer.message) }
            return try Response(serializedBytes: answer.response)
        case .fresh(let ticket):
            let response = try await body()
            try await record(in: transaction, ticket, answer: StoredAnswer(response: response.serializedBytes()))
            return response
        }
    }

    /// Deletes keys older than `retention` (never less than 24 h), in batches; returns how many.
    @discardableResult
    public func purge(pool: PostgresPool, olderThan retention: Duration = minimumRetention,
                      batchSize: Int = 1000) async throws -> Int {
        let cutoff = clock() - max(retention, Self.minimumRetention).milliseconds
        return try await BatchedDelete.run(pool: pool, batchSize: batchSize, sql: """
            DELETE FROM xsc_idempotency_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM xsc_idempotency_keys WHERE created_at < $1 LIMIT $2))
            """, cutoff: cutoff)
    }
}

/// Retention deletes in bounded batches, so a large backlog never holds locks for long.
enum BatchedDelete {
    static func run(pool: PostgresPool, batchSize: Int, sql: String, cutoff: Int64) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await pool.execute(sql, [.timestampMillis(cutoff), .int(batchSize)])
            total += deleted
            if deleted < batchSize { return total }
        }
    }
}
