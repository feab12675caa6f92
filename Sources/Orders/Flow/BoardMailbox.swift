import RPC
import Synchronization

/// What one board watcher has not sent yet. The hub's changes are merged by order (a newer row
/// of an order replaces the unsent older one) and by violation, so a watcher that reads slower
/// than the board changes holds at most one row per changed order, and past `limit` of those it
/// is dropped with RESOURCE_EXHAUSTED (its page watches again and starts from a fresh snapshot)
/// instead of growing without bound. The hub offers from its polling task; the watcher takes on
/// its own, woken by `bell` (one pending ring at most: rings coalesce).
final class BoardMailbox: Sendable {
    struct Pending: Sendable {
        var entries: [BoardEntry] = []
        var violations: [BoardViolationEntry] = []
        /// The server's clock when the newest of these changes was read.
        var serverTimeMillis: Int64 = 0
        /// Something every row may show changed without an order's event (a name in the
        /// directory, the routing): the watcher sends a fresh snapshot instead.
        var renew = false

        var isEmpty: Bool { entries.isEmpty && violations.isEmpty && !renew }
    }

    private struct State {
        var entries: [String: BoardEntry] = [:]
        var entryOrder: [String] = []
        var violations: [String: BoardViolationEntry] = [:]
        var violationOrder: [String] = []
        var serverTimeMillis: Int64 = 0
        var renew = false
        var failure: RPCError?
    }

    private let state = Mutex(State())
    private let limit: Int
    let bell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation

    init(limit: Int) {
        self.limit = limit
        (bell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Merges changes read at `serverTime` and wakes the watcher.
    func offer(_ entries: [BoardEntry], _ violations: [BoardViolationEntry], serverTime: Int64) {
        let limit = self.limit
        state.withLock { state in
            guard state.failure == nil else { return }
            for entry in entries where state.entries.updateValue(entry, forKey: entry.row.orderId) == nil {
                state.entryOrder.append(entry.row.orderId)
            }
            for violation in violations where state.violations.updateValue(violation, forKey: violation.violation.id) == nil {
                state.violationOrder.append(violation.violation.id)
            }
            state.serverTimeMillis = serverTime
            if state.entries.count + state.violations.count > limit {
                state = State()
                state.failure = RPCError(code: .resourceExhausted,
                                         message: "the board changed faster than this watch read it; watch again for a fresh snapshot")
            }
        }
        ring.yield()
    }

    /// Ends the watch with `error` at its next take (what was pending is dropped).
    func fail(_ error: RPCError) {
        state.withLock { state in
            state = State()
            state.failure = error
        }
        ring.yield()
    }

    /// Asks for a fresh snapshot (what was pending is in it) and wakes the watcher.
    func renew() {
        state.withLock { state in
            guard state.failure == nil else { return }
            state = State()
            state.renew = true
        }
        ring.yield()
    }

    /// Wakes the watcher with nothing new (its periodic look at the server's shutdown).
    func tick() { ring.yield() }

    /// Ends `bell` (the watch is over).
    func close() { ring.finish() }

    /// Everything pending, in the order first offered, leaving the mailbox empty; throws the
    /// failure that ended the watch.
    func take() throws -> Pending {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            let pending = Pending(entries: state.entryOrder.compactMap { state.entries[$0] },
                                  violations: state.violationOrder.compactMap { state.violations[$0] },
                                  serverTimeMillis: state.serverTimeMillis, renew: state.renew)
            state = State()
            return pending
        }
    }
}
