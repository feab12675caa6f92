import LibPQ
import NetIO
import Synchronization

/// A bounded pool of PostgreSQL connections with an async API that never blocks the calling
/// thread. Connections open lazily (up to `maxConnections`), dead ones are replaced on the
/// next use, so a database restart heals without recreating the pool; while the database is
/// down calls fail fast with `PostgresError.Kind.unavailable`.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    private let connector: Connector
    private let state = Mutex(PoolState())
    /// Pipelines exchanged on the caller's event loop rather than by a worker thread.
    private let loopExchanges = Counter()
    private let notices = CommitNotices()

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private struct Waiter {
        let id: UInt64
        /// Served before the plain waiters (`run(_:continuing:)`).
        let continuing: Bool
        let continuation: CheckedContinuation<ConnectionWorker, Error>
        /// Stops the waiter's acquire-timeout timer once it got a connection.
        var cancelTimeout: (@Sendable () -> Void)?
    }

    private struct PoolState {
        var idle: [ConnectionWorker] = []
        var openCount = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var closed = false
    }

    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
        /// Round trips done on the caller's own event loop (no worker thread involved).
        public var loopExchanges = 0
        public var inUse: Int { open - idle }
    }

    public init(configuration: PostgresConfiguration) throws(PostgresError) {
        guard configuration.maxConnections >= 1 else {
            throw PostgresError(.usage, "maxConnections must be at least 1")
        }
        self.configuration = configuration
        self.connector = try Connector(configuration: configuration)
    }

    deinit {
        close()
    }

    public var statistics: Statistics {
        var statistics = state.withLock { Statistics(open: $0.openCount, idle: $0.idle.count, waiting: $0.waiters.count) }
        statistics.loopExchanges = loopExchanges.value.load(ordering: .relaxed)
        return statistics
    }

    /// Runs one statement in its own implicit transaction: a single round trip, including the
    /// per-call statement_timeout derived from the deadline.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [],
                      deadline: ContinuousClock.Instant? = nil) async throws -> PostgresRows {
        try await run([PostgresStatement(sql, parameters)], deadline: deadline)[0]
    }

    /// One round trip to the database, for readiness checks (/readyz).
    public func ping(deadline: ContinuousClock.Instant? = nil) async throws {
        try await query("SELECT 1", deadline: deadline ?? .now + .seconds(2))
    }

    /// Like `query`, returning the number of rows the statement affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [],
                        deadline: ContinuousClock.Instant? = nil) async throws -> Int {
        try await query(sql, parameters, deadline: deadline).affectedRows ?? 0
    }

    /// Runs the statements as one pipeline (one round trip, one implicit transaction: all or
    /// nothing) on a connection held for that round trip only. Two such calls in a row hold a
    /// connection twice for a moment each, instead of once across the caller's own work between
    /// them: under load the pool's connections then spend their time at the database.
    ///
    /// `continuing`: this round trip finishes work already under way (the writes after the
    /// reads of the same call, the record of deliveries already made), so when it has to wait
    /// for a connection it goes ahead of the calls that have not started yet. Without that, a
    /// call that gives its connection back between its round trips would queue twice behind
    /// newcomers under load, and its second wait could run past the acquire timeout.
    @discardableResult
    public func run(_ statements: [PostgresStatement], deadline: ContinuousClock.Instant? = nil,
                    continuing: Bool = false) async throws -> [PostgresRows] {
        // The worker directly, without a `PostgresConnection` lease object: nothing outside
        // this function can hold the connection, so there is no lease to end or check (an
        // object and three lock round trips less per call).
        let deadline = deadline ?? .now + configuration.defaultTimeout
        let worker = try await acquire(deadline: deadline, continuing: continuing)
        defer { release(worker) }
        guard ContinuousClock.now < deadline else {
            throw PostgresError(.deadlineExceeded, "deadline exceeded before the statement was sent")
        }
        return try await worker.run(statements, opening: .autocommit, deadline: deadline)
    }

    /// Sets (or with nil removes) the one observer told about committed statements that carry
    /// a `commitNote`: called on the thread that saw the commit (an event loop or a connection's
    /// worker thread) right after it, before the caller resumes, so it must only hand the
    /// notes on (no waiting, no database work). A note is given once, and only for a
    /// transaction known to have committed; a note may also never come (a rollback, a lost
    /// connection, a savepoint rolled back anywhere in the transaction, no observer at the time).
    public func observeCommits(_ observer: CommitObserver?) {
        notices.set(observer)
    }

    /// Leases one connection for several calls (session state such as advisory locks stays
    /// on it). The connection returns to the pool when `body` ends, rolled back if it was
    /// left inside a transaction.
    public func withConnection<T: Sendable>(deadline: ContinuousClock.Instant? = nil,
                                            _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(deadline: deadline, continuing: false, body)
    }

    private func withConnection<T: Sendable>(deadline: ContinuousClock.Instant?, continuing: Bool,
                                             _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let deadline = deadline ?? .now + configuration.defaultTimeout
        let worker = try await acquire(deadline: deadline, continuing: continuing)
        let connection = PostgresConnection(worker: worker, deadline: deadline)
        defer {
            connection.endLease()
            release(worker)
        }
        return try await body(connection)
    }

    /// Closes idle connections now and busy ones when they are released; waiting callers
    /// fail with `unavailable`.
    public func close() {
        let (idle, waiters) = state.withLock { state -> ([ConnectionWorker], [Waiter]) in
            state.closed = true
            defer {
                state.openCount -= state.idle.count
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        idle.forEach { $0.stop() }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, "the connection pool is closed"))
        }
    }

    // MARK: - Leasing

    private enum Grant {
        case worker(ConnectionWorker)
        case mustWait
        case queueFull
        case closed
    }

    private func acquire(deadline: ContinuousClock.Instant, continuing: Bool) async throws -> ConnectionWorker {
        try Task.checkCancellation()
        switch state.withLock({ takeOrCreate(&$0) }) {
        case .worker(let worker): return worker
        case .closed: throw PostgresError(.unavailable, "the connection pool is closed")
        case .mustWait, .queueFull: break
        }
        let waitUntil = min(deadline, .now + configuration.acquireTimeout)
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ConnectionWorker, Error>) in
                let maxWaiters = configuration.maxWaiters
                let grant = state.withLock { state -> Grant in
                    let grant = takeOrCreate(&state)
                    if case .mustWait = grant {
                        // A full queue refuses at once: past it, waiting only adds latency.
                        guard state.waiters.count < maxWaiters || continuing else { return .queueFull }
                        let waiter = Waiter(id: id, continuing: continuing, continuation: continuation)
                        if continuing, let firstPlain = state.waiters.firstIndex(where: { !$0.continuing }) {
                            state.waiters.insert(waiter, at: firstPlain)
                        } else {
                            state.waiters.append(waiter)
                        }
                    }
                    return grant
                }
                switch grant {
                case .queueFull:
                    continuation.resume(throwing: PostgresError(
                        .poolExhausted, "all \(configuration.maxConnections) database connections are busy and \(maxWaiters) calls wait"))
                case .worker(let worker):
                    continuation.resume(returning: worker)
                case .closed:
                    continuation.resume(throwing: PostgresError(.unavailable, "the connection pool is closed"))
                case .mustWait:
                    let maxConnections = configuration.maxConnections
                    let timedOut: @Sendable () -> Void = { [weak self] in
                        self?.failWaiter(id: id, with: PostgresError(
                            .poolExhausted, "all \(maxConnections) database connections stayed busy"))
                    }
                    // On an event loop (a handler) the loop's own timer: no task and no
                    // dispatch timer per wait, which under load is most acquires.
                    let cancel: @Sendable () -> Void
                    if let loop = EventLoop.current {
                        let timer = loop.schedule(at: MonotonicTime.now().adding(waitUntil - .now), timedOut)
                        cancel = { loop.execute { loop.cancelTimer(timer) } }
                    } else {
                        let task = Task {
                            try await Task.sleep(until: waitUntil, clock: .continuous)
                            timedOut()
                        }
                        cancel = { task.cancel() }
                    }
                    state.withLock { state in
                        if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                            state.waiters[index].cancelTimeout = cancel
                        }
                    }
                }
            }
        } onCancel: {
            self.failWaiter(id: id, with: CancellationError())
        }
    }

    private func takeOrCreate(_ state: inout PoolState) -> Grant {
        if state.closed { return .closed }
        if let worker = state.idle.popLast() { return .worker(worker) }
        guard state.openCount < configuration.maxConnections else { return .mustWait }
        state.openCount += 1
        state.nextID += 1
        return .worker(ConnectionWorker(id: Int(state.nextID), connector: connector, configuration: configuration,
                                        notices: notices, countLoopExchange: { [loopExchanges] in loopExchanges.value.add(1, ordering: .relaxed) }))
    }

    private func failWaiter(id: UInt64, with error: Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func release(_ worker: ConnectionWorker) {
        worker.resetAfterLease()
        enum Next { case waiter(Waiter), idle, stop }
        let next = state.withLock { state -> Next in
            if state.closed {
                state.openCount -= 1
                return .stop
            }
            if !state.waiters.isEmpty { return .waiter(state.waiters.removeFirst()) }
            state.idle.append(worker)
            return .idle
        }
        switch next {
        case .waiter(let waiter):
            waiter.cancelTimeout?()
            waiter.continuation.resume(returning: worker)
        case .stop: worker.stop()
        case .idle: break
        }
    }
}
