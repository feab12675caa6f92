import LibPQ

/// The handle a `transaction` body uses. BEGIN and the statement_timeout travel in the same
/// round trip as the first statement; COMMIT is one more round trip after the body.
public final class PostgresTransaction: @unchecked Sendable {
    // Mutable state is only touched by the one task running the transaction body.
    let connection: PostgresConnection
    private let isolation: IsolationLevel
    private var begun = false
    /// COMMIT went out with the last statements (`runAndCommit`): `commit()` has nothing left
    /// to do, and a lost connection leaves the outcome unknown, so the pool must not retry.
    private(set) var commitSent = false

    init(connection: PostgresConnection, isolation: IsolationLevel) {
        self.connection = connection
        self.isolation = isolation
    }

    public var deadline: ContinuousClock.Instant { connection.deadline }

    /// How the next round trip opens (BEGIN the first time), for work that runs outside `run`
    /// (`copyIn`); the transaction counts as begun from here on.
    func nextOpening() throws(PostgresError) -> Session.Opening {
        guard !commitSent else { throw PostgresError(.usage, "the transaction was already committed") }
        if begun { return .insideTransaction }
        begun = true
        return .beginTransaction(isolation)
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await run([PostgresStatement(sql, parameters)])[0]
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters).affectedRows ?? 0
    }

    /// Several statements in one round trip.
    @discardableResult
    public func run(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        guard !commitSent else { throw PostgresError(.usage, "the transaction was already committed") }
        if begun {
            return try await connection.worker.run(statements, opening: .insideTransaction, deadline: connection.deadline)
        }
        begun = true
        return try await connection.perform(statements, begin: isolation)
    }

    /// The last statements of the transaction and its COMMIT in one round trip; the
    /// transaction is over when this returns (or throws: a failed statement rolls it all
    /// back, COMMIT included). Nothing may run in the transaction afterwards.
    @discardableResult
    public func runAndCommit(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        guard !commitSent else { throw PostgresError(.usage, "the transaction was already committed") }
        let all = statements + [PostgresStatement("COMMIT")]
        commitSent = true
        let results: [PostgresRows]
        if begun {
            results = try await connection.worker.run(all, opening: .insideTransaction, deadline: connection.deadline)
        } else {
            begun = true
            results = try await connection.perform(all, begin: isolation)
        }
        if results.last?.commandTag == "ROLLBACK" {
            throw PostgresError(.server, "transaction rolled back because a statement in it failed", sqlState: "25P02")
        }
        return Array(results.dropLast())
    }

    func commit() async throws {
        guard begun, !commitSent else { return }
        let tag = try await connection.worker.run([PostgresStatement("COMMIT")], opening: .insideTransaction,
                                                  deadline: connection.deadline)[0].commandTag
        // COMMIT of a transaction in which a statement failed (and the body caught it) rolls
        // back and still reports success: make that loud.
        if tag == "ROLLBACK" {
            throw PostgresError(.server, "transaction rolled back because a statement in it failed", sqlState: "25P02")
        }
    }

    /// A pipelined BEGIN ... COMMIT around fixed statements: the whole transaction is one
    /// round trip.
    func runWhole(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        begun = true
        let results = try await connection.perform(statements + [PostgresStatement("COMMIT")], begin: isolation)
        if results.last?.commandTag == "ROLLBACK" {
            throw PostgresError(.server, "transaction rolled back", sqlState: "25P02")
        }
        return Array(results.dropLast())
    }
}

extension PostgresPool {
    /// Runs `body` in a transaction and commits it. A serialization failure (40001) or
    /// deadlock (40P01) anywhere, or a lost connection before COMMIT was sent, rolls back and
    /// runs the whole body again (at most `transactionMaxAttempts` times, with jittered
    /// exponential backoff, never past the deadline). So `body` must have no effects outside
    /// the database that cannot be repeated.
    public func transaction<T: Sendable>(isolation: IsolationLevel = .readCommitted,
                                         deadline: ContinuousClock.Instant? = nil,
                                         _ body: (PostgresTransaction) async throws -> T) async throws -> T {
        let deadline = deadline ?? .now + configuration.defaultTimeout
        return try await withRetries(deadline: deadline) { commitSent in
            try await withConnection(deadline: deadline) { connection in
                let transaction = PostgresTransaction(connection: connection, isolation: isolation)
                let value: T
                do {
                    value = try await body(transaction)
                } catch {
                    // The body may have sent COMMIT itself (runAndCommit) before failing.
                    if transaction.commitSent { commitSent = true }
                    throw error
                }
                commitSent = true
                try await transaction.commit()
                return value
                // On a throw the lease ends and the connection is rolled back before reuse.
            }
        }
    }

    /// A transaction of fixed statements sent as one pipeline (BEGIN, statement_timeout,
    /// statements, COMMIT): one round trip, retried like `transaction`.
    @discardableResult
    public func transaction(isolation: IsolationLevel = .readCommitted,
                            deadline: ContinuousClock.Instant? = nil,
                            batch statements: [PostgresStatement]) async throws -> [PostgresRows] {
        let deadline = deadline ?? .now + configuration.defaultTimeout
        return try await withRetries(deadline: deadline) { commitSent in
            try await withConnection(deadline: deadline) { connection in
                commitSent = true // COMMIT travels with the statements: a lost connection is ambiguous
                return try await PostgresTransaction(connection: connection, isolation: isolation).runWhole(statements)
            }
        }
    }

    private func withRetries<T>(deadline: ContinuousClock.Instant,
                                _ attempt: (inout Bool) async throws -> T) async throws -> T {
        var attemptNumber = 1
        while true {
            var commitSent = false
            do {
                return try await attempt(&commitSent)
            } catch let error as PostgresError {
                let retryable = error.isTransactionRetryable || (error.kind == .connection && !commitSent)
                guard retryable, attemptNumber < configuration.transactionMaxAttempts else { throw error }
                let pause = Self.retryPause(attempt: attemptNumber)
                guard ContinuousClock.now + pause < deadline else { throw error }
                attemptNumber += 1
                try await Task.sleep(for: pause)
            }
        }
    }

    /// Full jitter over 2ms * 2^(attempt-1), capped at 200ms: concurrent losers of the same
    /// conflict spread out instead of colliding again.
    static func retryPause(attempt: Int) -> Duration {
        let ceilingMicros = min(200_000, 2_000 << min(attempt - 1, 10))
        return .microseconds(Int.random(in: ceilingMicros / 2...ceilingMicros))
    }
}
