import LibPQ
import Synchronization

/// A leased connection, valid inside `PostgresPool.withConnection`. Every call is one round
/// trip; several statements passed together travel as one pipeline.
public final class PostgresConnection: Sendable {
    let worker: ConnectionWorker
    /// The lease's deadline: each call gets what is left of it as statement_timeout.
    public let deadline: ContinuousClock.Instant
    private let leased = Mutex(true)

    init(worker: ConnectionWorker, deadline: ContinuousClock.Instant) {
        self.worker = worker
        self.deadline = deadline
    }

    func endLease() { leased.withLock { $0 = false } }

    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        let results = try await run([PostgresStatement(sql, parameters)])
        return results[0]
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters).affectedRows ?? 0
    }

    /// Runs the statements in one round trip, in one implicit transaction (all or nothing).
    @discardableResult
    public func run(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        try await perform(statements, prelude: [])
    }

    /// Fixed, parameterless SQL that may hold several statements (migration files). Runs
    /// with the simple query protocol and without a per-call statement_timeout.
    public func executeScript(_ sql: String) async throws {
        let deadline = try checkedDeadline()
        try await worker.perform(deadline: deadline) { session throws(PostgresError) in
            try session.runScript(sql, deadline: deadline)
        }
    }

    /// Sends `prelude + statements` in one pipeline, preceded by the statement_timeout for
    /// the time left; returns the results of `statements` only.
    func perform(_ statements: [PostgresStatement], prelude: [PostgresStatement]) async throws -> [PostgresRows] {
        let deadline = try checkedDeadline()
        let batch = prelude + [Self.statementTimeout(until: deadline)] + statements
        let skipped = prelude.count + 1
        let results = try await worker.perform(deadline: deadline) { session throws(PostgresError) in
            try session.run(batch, deadline: deadline)
        }
        return Array(results.dropFirst(skipped))
    }

    private func checkedDeadline() throws(PostgresError) -> ContinuousClock.Instant {
        guard leased.withLock({ $0 }) else {
            throw PostgresError(.usage, "connection used after its withConnection/transaction block ended")
        }
        guard ContinuousClock.now < deadline else {
            throw PostgresError(.deadlineExceeded, "deadline exceeded before the statement was sent")
        }
        return deadline
    }

    /// `SET LOCAL statement_timeout`, parameterised. It lasts until the end of the current
    /// (implicit or explicit) transaction. The server gets slightly less than the time left,
    /// so it normally cancels the statement itself (keeping the connection) before the
    /// client-side deadline has to abandon the connection.
    static func statementTimeout(until deadline: ContinuousClock.Instant) -> PostgresStatement {
        let remaining = max(1, PostgresConfiguration.millis(deadline - .now))
        let serverMillis = max(1, remaining - min(remaining / 10, 50))
        return PostgresStatement("SELECT set_config('statement_timeout', $1, true)", [.text(String(serverMillis))])
    }
}
