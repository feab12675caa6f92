import LibPQ

/// A live connection and what belongs to it: its prepared statements. Confined to the
/// connection's worker thread.
final class Session {
    let connection: PGConnection
    let cancelHandle: PGCancelHandle?
    private let cacheCapacity: Int
    private var preparedNames: [StatementKey: String] = [:]
    private var nextStatementNumber = 0
    /// Set once the connection must not be reused: a connection-level failure, or a
    /// deadline that struck mid-exchange and left the protocol state unknown.
    private(set) var isBroken = false

    /// A statement is prepared per distinct SQL *and* parameter types: the server fixes
    /// parameter types at prepare time, so an Int64 and a NULL for $1 need different plans.
    private struct StatementKey: Hashable {
        let sql: String
        let parameterTypes: [UInt32]
    }

    init(connection: PGConnection, cacheCapacity: Int) {
        self.connection = connection
        self.cancelHandle = connection.cancelHandle()
        self.cacheCapacity = max(1, cacheCapacity)
    }

    var isUsable: Bool { !isBroken && connection.isAlive }
    var transactionStatus: PGConnection.TransactionStatus { connection.transactionStatus }

    /// What a pipeline opens with.
    enum Opening {
        /// Outside any transaction: the pipeline is its own implicit transaction.
        case autocommit
        /// BEGIN first; the statement_timeout set for it lasts until COMMIT/ROLLBACK.
        case beginTransaction(IsolationLevel)
        /// Inside a transaction this pipeline did not open: nothing is added.
        case insideTransaction
    }

    /// The session-level statement_timeout (ms) this connection is known to have, nil when
    /// unknown. Kept so most calls need no set_config at all (a statement less per call).
    private var sessionStatementTimeout: Int64?

    /// Runs the statements as one pipeline (one round trip), opened as `opening` says and
    /// with a statement_timeout that ends the statement on the server before the deadline.
    /// Returns one result per given statement, or throws the first failure.
    func run(_ statements: [PostgresStatement], opening: Opening,
             deadline: ContinuousClock.Instant) throws(PostgresError) -> [PostgresRows] {
        let (currentFits, wanted) = statementTimeoutNeeds(deadline)
        var prefix: [PostgresStatement] = []
        var settingSessionTimeout = false
        switch opening {
        case .autocommit:
            if !currentFits {
                // Session-level, so later calls can skip it; it only sticks if this implicit
                // transaction commits, which is when it is recorded below.
                prefix = [Self.setStatementTimeout(wanted, local: false)]
                settingSessionTimeout = true
            }
        case .beginTransaction(let isolation):
            prefix = [PostgresStatement(isolation.beginStatement)]
            if !currentFits { prefix.append(Self.setStatementTimeout(wanted, local: true)) }
        case .insideTransaction:
            break
        }
        if settingSessionTimeout { sessionStatementTimeout = nil }
        let results = try runPipeline(prefix + statements, deadline: deadline)
        if settingSessionTimeout && connection.transactionStatus == .idle { sessionStatementTimeout = wanted }
        return Array(results.dropFirst(prefix.count))
    }

    /// Whether the session's statement_timeout suits this deadline (fires before it, and not
    /// absurdly early), and the value to set when it does not: a little less than the time
    /// left, so the server normally cancels the statement itself (keeping the connection)
    /// before the client-side deadline has to abandon the connection.
    private func statementTimeoutNeeds(_ deadline: ContinuousClock.Instant) -> (fits: Bool, wanted: Int64) {
        let remaining = max(1, PostgresConfiguration.millis(deadline - .now))
        let fits = sessionStatementTimeout.map { $0 <= remaining && $0 >= remaining / 2 } ?? false
        return (fits, max(1, remaining - min(remaining / 10, 50)))
    }

    /// `SET [LOCAL] statement_timeout`, parameterised.
    private static func setStatementTimeout(_ millis: Int64, local: Bool) -> PostgresStatement {
        PostgresStatement(local ? "SELECT set_config('statement_timeout', $1, true)"
                                : "SELECT set_config('statement_timeout', $1, false)",
                          [.text(String(millis))])
    }

    private func runPipeline(_ statements: [PostgresStatement], deadline: ContinuousClock.Instant) throws(PostgresError) -> [PostgresRows] {
        var encoded: [[EncodedParameter]] = []
        encoded.reserveCapacity(statements.count)
        for statement in statements {
            var parameters: [EncodedParameter] = []
            parameters.reserveCapacity(statement.parameters.count)
            for (index, value) in statement.parameters.enumerated() {
                parameters.append(try value.encoded(position: index + 1))
            }
            encoded.append(parameters)
        }
        if preparedNames.count + statements.count > cacheCapacity {
            // A fixed statement, so the cache can be emptied without building SQL from names.
            try guarded { () throws(PostgresError) in try connection.executeScript("DEALLOCATE ALL", deadline: deadline) }
            preparedNames.removeAll()
        }

        var steps: [PipelineStep] = []
        var executeStepIndex: [Int] = []
        var newlyPrepared: [(step: Int, key: StatementKey, name: String)] = []
        var keys: [StatementKey?] = []
        for (statement, parameters) in zip(statements, encoded) {
            guard statement.prepared else {
                keys.append(nil)
                executeStepIndex.append(steps.count)
                steps.append(.execute(sql: statement.sql, parameters: parameters))
                continue
            }
            let key = StatementKey(sql: statement.sql, parameterTypes: parameters.map(\.typeOID))
            keys.append(key)
            let name: String
            if let known = preparedNames[key] ?? newlyPrepared.first(where: { $0.key == key })?.name {
                name = known
            } else {
                nextStatementNumber += 1
                name = "xsc_\(nextStatementNumber)"
                newlyPrepared.append((steps.count, key, name))
                steps.append(.prepare(name: name, sql: statement.sql, parameterTypes: key.parameterTypes))
            }
            executeStepIndex.append(steps.count)
            steps.append(.executePrepared(name: name, parameters: parameters))
        }

        let outcomes = try guarded { () throws(PostgresError) in try connection.runPipeline(steps, deadline: deadline) }
        for prepared in newlyPrepared {
            if case .rows = outcomes[prepared.step] { preparedNames[prepared.key] = prepared.name }
        }
        var results: [PostgresRows] = []
        results.reserveCapacity(statements.count)
        for (position, stepIndex) in executeStepIndex.enumerated() {
            switch outcomes[stepIndex] {
            case .rows(let rows):
                results.append(rows)
            case .failed(let error):
                // A plan whose result type changed under it (ALTER TABLE) is re-prepared next time.
                if error.sqlState == "0A000", let key = keys[position] { preparedNames[key] = nil }
                throw error
            case .skipped:
                // Only follows a failure, which was thrown above; a failed prepare lands here.
                if let failure = firstFailure(outcomes) { throw failure }
                throw PostgresError(.usage, "statement \(position + 1) of the batch was not executed")
            }
        }
        return results
    }

    /// Multi-statement SQL without parameters (migration files, fixed commands).
    /// Runs under a session statement_timeout that suits the deadline (set first if needed:
    /// one more round trip, scripts are rare).
    func runScript(_ sql: String, deadline: ContinuousClock.Instant) throws(PostgresError) {
        let (fits, wanted) = statementTimeoutNeeds(deadline)
        if !fits {
            sessionStatementTimeout = nil
            _ = try runPipeline([Self.setStatementTimeout(wanted, local: false)], deadline: deadline)
            if connection.transactionStatus == .idle { sessionStatementTimeout = wanted }
        }
        // A script may SET anything, statement_timeout included.
        defer { sessionStatementTimeout = nil }
        try guarded { () throws(PostgresError) in try connection.executeScript(sql, deadline: deadline) }
    }

    private func firstFailure(_ outcomes: [PipelineOutcome]) -> PostgresError? {
        for outcome in outcomes { if case .failed(let error) = outcome { return error } }
        return nil
    }

    private func guarded<T>(_ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        do {
            return try body()
        } catch {
            if error.isConnectionLevel || error.kind == .deadlineExceeded { isBroken = true }
            throw error
        }
    }
}
