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
        try await perform(statements)
    }

    /// Fixed, parameterless SQL that may hold several statements (migration files), run with
    /// the simple query protocol under a statement_timeout for the time left.
    public func executeScript(_ sql: String) async throws {
        let deadline = try checkedDeadline()
        try await worker.perform(deadline: deadline) { session throws(PostgresError) in
            try session.runScript(sql, deadline: deadline)
        }
    }

    /// Sends the statements in one pipeline, opened by BEGIN when `begin` is given; the
    /// session adds the statement_timeout for the time left when needed.
    func perform(_ statements: [PostgresStatement], begin: IsolationLevel? = nil) async throws -> [PostgresRows] {
        let deadline = try checkedDeadline()
        let opening: Session.Opening = begin.map { .beginTransaction($0) } ?? .autocommit
        return try await worker.run(statements, opening: opening, deadline: deadline)
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
}
