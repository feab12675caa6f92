import Foundation
import LibPQ
import NetIO

/// One pooled connection and the thread that owns it.
///
/// Why a thread per connection (rather than libpq's nonblocking mode on one shared I/O
/// thread): the RPC server runs handlers on its epoll loop threads, which must never wait on
/// the database, so all libpq work happens elsewhere, and the caller only enqueues a job and
/// awaits a continuation. Giving each connection its own thread keeps every libpq object
/// confined to one thread (no locking around PGconn), lets a slow query or a big result copy
/// stall only its own connection, and costs little because the pool is small (max ~10-50).
/// Inside the thread, libpq is still driven nonblocking with poll(2) against the caller's
/// deadline, so no job outlives its deadline even if the server or network hangs.
///
/// The common case skips the thread: a caller running on an event loop (an RPC handler) whose
/// connection is open and idle sends its pipeline itself and lets its own loop wait for the
/// answer (`LoopExchange`). While such an exchange runs, the session belongs to it and the
/// worker thread leaves the connection alone.
final class ConnectionWorker: @unchecked Sendable {
    typealias Job = (ConnectionWorker) -> Void

    let id: Int
    private let connector: Connector
    private let cacheCapacity: Int
    private let healthCheckInterval: Duration

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopRequested = false
    private var runningToken: UInt64 = 0
    private var runningCancelHandle: PGCancelHandle?
    private var lastToken: UInt64 = 0
    private var lastStartedToken: UInt64 = 0
    /// Jobs whose task was cancelled before they reached the thread: they fail at once.
    private var cancelledBeforeStart: Set<UInt64> = []
    /// Whether the last job left the connection inside a transaction, recorded before its
    /// caller resumes, so releasing a clean connection costs no wake-up of this thread.
    private var leftInTransaction = false
    /// The worker thread is using the session (a job or an idle check).
    private var threadBusy = false
    /// A cancel request went to the server for the running job: the connection is closed
    /// after it, since the server may act on the request late, during the next statement.
    private var cancelRequested = false
    /// A `LoopExchange` owns the session.
    private var loopExchangeActive = false

    // Confined to the worker thread.
    private var session: Session?

    private let countLoopExchange: @Sendable () -> Void
    private let notices: CommitNotices

    init(id: Int, connector: Connector, configuration: PostgresConfiguration, notices: CommitNotices = CommitNotices(),
         countLoopExchange: @escaping @Sendable () -> Void = {}) {
        self.id = id
        self.notices = notices
        self.countLoopExchange = countLoopExchange
        self.connector = connector
        self.cacheCapacity = configuration.statementCacheCapacity
        self.healthCheckInterval = configuration.healthCheckInterval
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "xsc-postgres-\(id)"
        thread.start()
    }

    /// Runs `work` on this connection's thread with a live session (connecting first when
    /// there is none or the previous one died). Task cancellation asks the server to cancel.
    func perform<T: Sendable>(deadline: ContinuousClock.Instant,
                              _ work: @escaping @Sendable (Session) throws(PostgresError) -> T) async throws -> T {
        try Task.checkCancellation()
        let token = condition.withLock { () -> UInt64 in
            lastToken &+= 1
            return lastToken
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                enqueue { worker in
                    let result = worker.runOnThread(token: token, deadline: deadline, work)
                    // Hand the session back before resuming: the caller's next round trip
                    // would otherwise find the thread still busy and queue behind it
                    // instead of running on its own loop.
                    worker.condition.withLock { worker.threadBusy = false }
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            self.cancelIfRunning(token: token)
        }
    }

    /// Runs the statements as one pipeline: on the caller's event loop when it has one and the
    /// session is ready (no thread hand-off), else on the worker thread.
    func run(_ statements: [PostgresStatement], opening: Session.Opening,
             deadline: ContinuousClock.Instant) async throws -> [PostgresRows] {
        if let loop = EventLoop.current, let (session, token) = try claimForLoop(deadline: deadline, statements: statements.count) {
            return try await runOnLoop(loop, session: session, token: token, statements, opening: opening, deadline: deadline)
        }
        return try await perform(deadline: deadline) { session throws(PostgresError) in
            try session.run(statements, opening: opening, deadline: deadline)
        }
    }

    /// The session, when it is open, idle and nothing waits for the worker thread; the loop
    /// exchange then owns it until `endLoopExchange`.
    private func claimForLoop(deadline: ContinuousClock.Instant, statements: Int) throws -> (Session, UInt64)? {
        try Task.checkCancellation()
        guard ContinuousClock.now < deadline else {
            throw PostgresError(.deadlineExceeded, "deadline exceeded before the statement was sent")
        }
        let claimed = condition.withLock { () -> (Session, UInt64)? in
            guard jobs.isEmpty, !threadBusy, !loopExchangeActive, !stopRequested, let session, !session.isBroken else {
                return nil
            }
            loopExchangeActive = true
            lastToken &+= 1
            lastStartedToken = lastToken
            runningToken = lastToken
            runningCancelHandle = session.cancelHandle
            return (session, lastToken)
        }
        guard let (session, token) = claimed else { return nil }
        // Checked outside the lock (a poll without waiting): a connection the server closed
        // goes to the worker thread, which reconnects; so does a full statement cache, whose
        // emptying blocks.
        guard session.isUsable, !session.preparedCacheWouldOverflow(statements + 2) else {
            endLoopExchange(session: session)
            return nil
        }
        return (session, token)
    }

    private func runOnLoop(_ loop: EventLoop, session: Session, token: UInt64, _ statements: [PostgresStatement],
                           opening: Session.Opening, deadline: ContinuousClock.Instant) async throws -> [PostgresRows] {
        defer { endLoopExchange(session: session) }
        countLoopExchange()
        let plan = try session.plan(statements, opening: opening, deadline: deadline)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<[PipelineOutcome], PostgresError>, Never>) in
                LoopExchange.start(on: loop, connection: session.connection, watch: session.socketWatch(on: loop), steps: plan.steps,
                                   parameters: plan.parameters, statements: plan.steps.count, deadline: deadline) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            self.cancelIfRunning(token: token)
        }
        switch outcome {
        case .success(let outcomes):
            return try session.finish(plan, outcomes: outcomes)
        case .failure(let error):
            session.markBroken(after: error)
            throw error
        }
    }

    /// Gives the session back to the worker thread (dropped if the exchange broke it).
    private func endLoopExchange(session: Session) {
        // Read outside the lock: only this exchange uses the session until it is given back below.
        let broken = session.isBroken
        let idle = broken || session.transactionStatus == .idle
        condition.withLock {
            let dropped = broken || cancelRequested
            let inTransaction = !dropped && !idle
            cancelRequested = false
            if dropped, self.session === session { self.session = nil }
            loopExchangeActive = false
            runningToken = 0
            runningCancelHandle = nil
            leftInTransaction = inTransaction
            if !jobs.isEmpty || stopRequested { condition.signal() }
        }
    }

    /// After a lease: never hand the next caller a connection that is still inside a
    /// transaction. Queued, so the caller releasing the connection does not wait.
    func resetAfterLease() {
        guard condition.withLock({ leftInTransaction }) else { return }
        enqueue { worker in worker.rollbackIfInTransaction() }
    }

    /// Finishes queued jobs, closes the connection and ends the thread.
    func stop() {
        condition.withLock {
            stopRequested = true
            condition.signal()
        }
    }

    private func enqueue(_ job: @escaping Job) {
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    private func runLoop() {
        let idleWait = Double(PostgresConfiguration.millis(healthCheckInterval)) / 1000
        while true {
            condition.lock()
            // A loop exchange owns the session: wait for it even with jobs queued or a stop.
            while (jobs.isEmpty && !stopRequested) || loopExchangeActive {
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: max(0.01, idleWait)))
                if !signalled && jobs.isEmpty && !loopExchangeActive {
                    threadBusy = true
                    condition.unlock()
                    dropSessionIfDead()
                    condition.lock()
                    threadBusy = false
                }
            }
            if jobs.isEmpty {
                condition.unlock()
                break
            }
            let job = jobs.removeFirst()
            threadBusy = true
            condition.unlock()
            job(self)
            condition.withLock { threadBusy = false }
        }
        session = nil
    }

    private func runOnThread<T>(token: UInt64, deadline: ContinuousClock.Instant,
                                _ work: (Session) throws(PostgresError) -> T) -> Result<T, Error> {
        let cancelled = condition.withLock { () -> Bool in
            lastStartedToken = token
            let wasCancelled = cancelledBeforeStart.contains(token)
            if !cancelledBeforeStart.isEmpty { cancelledBeforeStart = cancelledBeforeStart.filter { $0 > token } }
            return wasCancelled
        }
        if cancelled { return .failure(CancellationError()) }
        // Queued past its deadline: fail without touching the connection (sending and then
        // abandoning the exchange would cost the connection).
        guard ContinuousClock.now < deadline else {
            return .failure(PostgresError(.deadlineExceeded, "deadline exceeded before the statement was sent"))
        }
        let live: Session
        do {
            live = try liveSession(deadline: deadline)
        } catch {
            return .failure(error)
        }
        condition.withLock {
            runningToken = token
            runningCancelHandle = live.cancelHandle
        }
        defer {
            if live.isBroken || condition.withLock({ cancelRequested }) { session = nil }
            let inTransaction = session.map { $0.transactionStatus != .idle } ?? false
            condition.withLock {
                cancelRequested = false
                runningToken = 0
                runningCancelHandle = nil
                leftInTransaction = inTransaction
            }
        }
        do {
            return .success(try work(live))
        } catch {
            return .failure(error)
        }
    }

    private func liveSession(deadline: ContinuousClock.Instant) throws(PostgresError) -> Session {
        if let session, session.isUsable { return session }
        session = nil
        let fresh = Session(connection: try connector.connect(deadline: deadline), cacheCapacity: cacheCapacity,
                            notices: notices)
        session = fresh
        return fresh
    }

    private func dropSessionIfDead() {
        if let session, !session.isUsable { self.session = nil }
    }

    private func rollbackIfInTransaction() {
        defer {
            let inTransaction = session.map { $0.transactionStatus != .idle } ?? false
            condition.withLock { leftInTransaction = inTransaction }
        }
        guard let current = session else { return }
        if current.isBroken {
            session = nil
            return
        }
        switch current.transactionStatus {
        case .idle:
            return
        case .inTransaction, .inFailedTransaction:
            do {
                try current.rollback(deadline: .now + .seconds(5))
            } catch {
                session = nil
            }
        case .active, .unknown:
            session = nil
        }
    }

    private func cancelIfRunning(token: UInt64) {
        let handle = condition.withLock { () -> PGCancelHandle? in
            if runningToken == token, let handle = runningCancelHandle {
                cancelRequested = true
                return handle
            }
            if token > lastStartedToken { cancelledBeforeStart.insert(token) }
            return nil
        }
        guard let handle else { return }
        // PQcancel opens its own connection and blocks; keep that off the cancelling thread.
        Thread.detachNewThread { handle.requestCancel() }
    }
}
