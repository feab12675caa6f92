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

    /// Runs the statements as one pipeline (one round trip). Returns one result per
    /// statement, or throws the first failure.
    func run(_ statements: [PostgresStatement], deadline: ContinuousClock.Instant) throws(PostgresError) -> [PostgresRows] {
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
    func runScript(_ sql: String, deadline: ContinuousClock.Instant) throws(PostgresError) {
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
