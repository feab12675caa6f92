import LibPQ
import NetIO

/// A live connection and what belongs to it: its prepared statements. Confined to the
/// connection's worker thread.
final class Session {
    let connection: PGConnection
    let cancelHandle: PGCancelHandle?
    private let cacheCapacity: Int
    /// Prepared statements by SQL text, each with the parameter types it was prepared for.
    private var preparedNames: [SQLText: [PreparedVariant]] = [:]
    private var preparedCount = 0
    private var nextStatementNumber = 0
    /// Set once the connection must not be reused: a connection-level failure, or a
    /// deadline that struck mid-exchange and left the protocol state unknown.
    private(set) var isBroken = false
    /// Where committed statements' notes go, and those of the transaction still open.
    private let notices: CommitNotices
    private var pendingNotes = PendingCommitNotes()

    /// A statement is prepared per distinct SQL *and* parameter types: the server fixes
    /// parameter types at prepare time, so an Int64 and a NULL for $1 need different plans.
    /// The types are compared in place with the pipeline's encoded parameters, so finding a
    /// prepared statement allocates nothing.
    fileprivate struct PreparedVariant {
        let types: [UInt32]
        let name: String
    }

    init(connection: PGConnection, cacheCapacity: Int, notices: CommitNotices = CommitNotices()) {
        self.connection = connection
        self.notices = notices
        self.cancelHandle = connection.cancelHandle()
        self.cacheCapacity = max(1, cacheCapacity)
    }

    /// The socket's registration with each event loop that exchanged on it (a few at most:
    /// one per loop), kept while the connection lives (`LoopExchange`).
    private var socketWatches: [DatabaseSocketWatch] = []

    /// This connection's socket watch on `loop` (loop thread, during a loop exchange).
    func socketWatch(on loop: EventLoop) -> DatabaseSocketWatch {
        if let known = socketWatches.first(where: { $0.loop === loop }) { return known }
        let watch = DatabaseSocketWatch(loop: loop, fd: connection.socketDescriptor)
        socketWatches.append(watch)
        return watch
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
    /// Set by a transaction that changed the session-level statement_timeout: it becomes
    /// `sessionStatementTimeout` if that transaction commits (a rollback undoes the SET).
    private var timeoutAwaitingCommit: Int64?

    /// Runs the statements as one pipeline (one round trip), opened as `opening` says and
    /// with a statement_timeout that ends the statement on the server before the deadline.
    /// Returns one result per given statement, or throws the first failure.
    func run(_ statements: [PostgresStatement], opening: Opening,
             deadline: ContinuousClock.Instant) throws(PostgresError) -> [PostgresRows] {
        if preparedCacheWouldOverflow(statements.count + 2) {
            // A fixed statement, so the cache can be emptied without building SQL from names.
            try guarded { () throws(PostgresError) in try connection.executeScript("DEALLOCATE ALL", deadline: deadline) }
            preparedNames.removeAll()
            preparedCount = 0
        }
        let plan = try plan(statements, opening: opening, deadline: deadline)
        let outcomes: [PipelineOutcome]
        do {
            outcomes = try guarded { () throws(PostgresError) in
                try connection.runPipeline(plan.steps, parameters: plan.parameters, deadline: deadline)
            }
        } catch {
            pendingNotes.failed()
            throw error
        }
        return try finish(plan, outcomes: outcomes)
    }

    /// A pipeline ready to send, and what reading its outcomes needs.
    struct Plan {
        fileprivate(set) var steps: [PipelineStep] = []
        /// Every statement's parameters, encoded once into libpq's layout.
        fileprivate(set) var parameters = PipelineParameters()
        fileprivate var prefixCount = 0
        fileprivate var executed: [Executed] = []
        fileprivate var newlyPrepared: [(step: Int, sql: String, types: [UInt32], name: String)] = []
        fileprivate var settingSessionTimeout: Int64?
        /// The statements' commit notes, in order.
        fileprivate var notes: [any Sendable] = []

        /// A statement's execute step, and for a prepared one its SQL and parameters (to
        /// forget the prepared statement when the server says its plan went stale).
        fileprivate struct Executed {
            let step: Int
            let preparedSQL: String?
            let parameters: Range<Int>
        }
    }

    /// Whether `count` more prepared statements could overflow the cache (which is emptied
    /// with a blocking DEALLOCATE ALL first, so non-blocking callers leave that case to `run`).
    func preparedCacheWouldOverflow(_ count: Int) -> Bool {
        preparedCount + count > cacheCapacity
    }

    /// The steps of `run` (opening, statement_timeout, statements) without sending them.
    func plan(_ statements: [PostgresStatement], opening: Opening,
              deadline: ContinuousClock.Instant) throws(PostgresError) -> Plan {
        let (currentFits, wanted) = statementTimeoutNeeds(deadline)
        var prefix: [PostgresStatement] = []
        var plan = Plan()
        if case .insideTransaction = opening {} else { pendingNotes.transactionOpens() }
        switch opening {
        case .autocommit:
            if !currentFits {
                // Session-level, so later calls can skip it; it only sticks if this implicit
                // transaction commits, which is when it is recorded (`finish`).
                prefix = [Self.setStatementTimeout(wanted, local: false)]
                plan.settingSessionTimeout = wanted
                sessionStatementTimeout = nil
            }
        case .beginTransaction(let isolation):
            prefix = [PostgresStatement(isolation.beginStatement)]
            timeoutAwaitingCommit = nil
            if !currentFits {
                // Session-level too (not SET LOCAL): once this transaction commits, the
                // following transactions usually need no set_config at all.
                prefix.append(Self.setStatementTimeout(wanted, local: false))
                sessionStatementTimeout = nil
                timeoutAwaitingCommit = wanted
            }
        case .insideTransaction:
            break
        }
        plan.prefixCount = prefix.count
        for statement in statements {
            if let note = statement.commitNote { plan.notes.append(note) }
        }
        let parameterCount = (statements.reduce(0) { $0 + $1.parameterCount }) + (prefix.reduce(0) { $0 + $1.parameterCount })
        plan.parameters.reserveCapacity(parameterCount)
        plan.steps.reserveCapacity(prefix.count + statements.count)
        plan.executed.reserveCapacity(prefix.count + statements.count)
        for statement in prefix { try add(statement, to: &plan) }
        for statement in statements { try add(statement, to: &plan) }
        return plan
    }

    /// One statement's steps: its parameters encoded, a Parse the first time this connection
    /// sees its SQL with these parameter types, and its execution.
    private func add(_ statement: PostgresStatement, to plan: inout Plan) throws(PostgresError) {
        let first = plan.parameters.count
        switch statement.values {
        case .single(let values):
            try plan.parameters.append(contentsOf: values, firstPosition: 1)
        case .parts(let parts, _):
            var position = 1
            for part in parts {
                try plan.parameters.append(contentsOf: part, firstPosition: position)
                position += part.count
            }
        }
        let range = first..<plan.parameters.count
        guard statement.prepared else {
            plan.executed.append(.init(step: plan.steps.count, preparedSQL: nil, parameters: range))
            plan.steps.append(.execute(sql: statement.sql, parameters: range))
            return
        }
        let parameters = plan.parameters
        let name: String
        if let known = preparedNames[SQLText(statement.sql)]?.first(where: { parameters.types(in: range, equal: $0.types) })?.name
            ?? plan.newlyPrepared.first(where: { $0.sql == statement.sql && parameters.types(in: range, equal: $0.types) })?.name {
            name = known
        } else {
            nextStatementNumber += 1
            name = "xsc_\(nextStatementNumber)"
            let types = parameters.types(in: range)
            plan.newlyPrepared.append((plan.steps.count, statement.sql, types, name))
            plan.steps.append(.prepare(name: name, sql: statement.sql, parameterTypes: types))
        }
        plan.executed.append(.init(step: plan.steps.count, preparedSQL: statement.sql, parameters: range))
        plan.steps.append(.executePrepared(name: name, parameters: range))
    }

    /// One result per statement given to `plan` (the opening's are dropped), or the first
    /// failure; remembers what got prepared.
    func finish(_ plan: Plan, outcomes: [PipelineOutcome]) throws(PostgresError) -> [PostgresRows] {
        for prepared in plan.newlyPrepared {
            if case .rows = outcomes[prepared.step] {
                preparedNames[SQLText(prepared.sql), default: []].append(PreparedVariant(types: prepared.types, name: prepared.name))
                preparedCount += 1
            }
        }
        var results: [PostgresRows] = []
        results.reserveCapacity(plan.executed.count)
        var rolledBack = false
        for (position, executed) in plan.executed.enumerated() {
            switch outcomes[executed.step] {
            case .rows(let rows):
                // ROLLBACK, ROLLBACK TO SAVEPOINT, and a COMMIT of a failed transaction.
                if rows.commandTag == "ROLLBACK" { rolledBack = true }
                results.append(rows)
            case .failed(let error):
                pendingNotes.failed()
                // A plan whose result type changed under it (ALTER TABLE) is re-prepared next time.
                if error.sqlState == "0A000", let sql = executed.preparedSQL {
                    forgetPrepared(sql: sql, types: plan.parameters.types(in: executed.parameters))
                }
                throw error
            case .skipped:
                pendingNotes.failed()
                // Only follows a failure, which was thrown above; a failed prepare lands here.
                if let failure = firstFailure(outcomes) { throw failure }
                throw PostgresError(.usage, "statement \(position + 1) of the batch was not executed")
            }
        }
        let committed = pendingNotes.succeeded(adding: plan.notes, rolledBack: rolledBack,
                                               idle: connection.transactionStatus == .idle)
        if !committed.isEmpty { notices.committed(committed) }
        if connection.transactionStatus == .idle {
            if let wanted = plan.settingSessionTimeout { sessionStatementTimeout = wanted }
            if let wanted = timeoutAwaitingCommit {
                if results.last?.commandTag == "COMMIT" { sessionStatementTimeout = wanted }
                timeoutAwaitingCommit = nil
            }
        }
        return plan.prefixCount == 0 ? results : Array(results.dropFirst(plan.prefixCount))
    }

    private func forgetPrepared(sql: String, types: [UInt32]) {
        let key = SQLText(sql)
        guard var variants = preparedNames[key] else { return }
        let before = variants.count
        variants.removeAll { $0.types == types }
        preparedCount -= before - variants.count
        preparedNames[key] = variants.isEmpty ? nil : variants
    }

    /// A failure of the connection itself or a deadline that struck mid-exchange: the session
    /// must not be reused.
    func markBroken(after error: PostgresError) {
        pendingNotes.failed()
        if error.isConnectionLevel || error.kind == .deadlineExceeded { isBroken = true }
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

    /// Multi-statement SQL without parameters (migration files, fixed commands).
    /// Runs under a session statement_timeout that suits the deadline (set first if needed:
    /// one more round trip, scripts are rare).
    func runScript(_ sql: String, deadline: ContinuousClock.Instant) throws(PostgresError) {
        // A script may end the transaction in ways not followed here (ROLLBACK after a lease).
        pendingNotes.failed()
        let (fits, wanted) = statementTimeoutNeeds(deadline)
        if !fits {
            sessionStatementTimeout = nil
            _ = try run([Self.setStatementTimeout(wanted, local: false)], opening: .insideTransaction, deadline: deadline)
            if connection.transactionStatus == .idle { sessionStatementTimeout = wanted }
        }
        // A script may SET anything, statement_timeout included.
        defer {
            sessionStatementTimeout = nil
            timeoutAwaitingCommit = nil
        }
        try guarded { () throws(PostgresError) in try connection.executeScript(sql, deadline: deadline) }
    }

    /// ROLLBACK of the open transaction, with no statement_timeout set first: in a failed
    /// transaction every statement but ROLLBACK fails (25P02), so setting one there failed and
    /// the connection was thrown away after every failed transaction body. A ROLLBACK waits on
    /// no lock; the deadline still bounds it on the client's side.
    func rollback(deadline: ContinuousClock.Instant) throws(PostgresError) {
        pendingNotes.failed()
        timeoutAwaitingCommit = nil
        try guarded { () throws(PostgresError) in try connection.executeScript("ROLLBACK", deadline: deadline) }
    }

    private func firstFailure(_ outcomes: [PipelineOutcome]) -> PostgresError? {
        for outcome in outcomes { if case .failed(let error) = outcome { return error } }
        return nil
    }

    private func guarded<T>(_ body: () throws(PostgresError) -> T) throws(PostgresError) -> T {
        do {
            return try body()
        } catch {
            markBroken(after: error)
            throw error
        }
    }
}

/// SQL text as a dictionary key, hashed by its length and its first and last 64 bytes rather
/// than all of it: statements run many times per call and are hundreds of bytes long, and
/// hashing every byte of each was ~1% of an order's service CPU. Equality still compares the
/// whole text (a pointer comparison when both are the same literal).
struct SQLText: Hashable {
    let sql: String

    init(_ sql: String) { self.sql = sql }

    static func == (lhs: SQLText, rhs: SQLText) -> Bool { lhs.sql == rhs.sql }

    func hash(into hasher: inout Hasher) {
        var text = sql
        text.withUTF8 { utf8 in
            hasher.combine(utf8.count)
            let head = min(utf8.count, 64)
            hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[..<head])))
            if utf8.count > head {
                let tail = max(head, utf8.count - 64)
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[tail...])))
            }
        }
    }
}
