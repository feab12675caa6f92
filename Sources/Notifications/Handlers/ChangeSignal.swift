import Foundation
import Synchronization

/// "Something changed" within this process, for waiters that would otherwise poll: WatchInbox
/// (new inbox messages) and the delivery worker (new messages to send). Waiters still poll with
/// a timeout, which is how they see other replicas' changes.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
        /// Waits that ended (timeout) before their continuation was registered.
        var abandoned: Set<UUID> = []
    }
    private let state = Mutex(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    public func post() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns when the generation moved past `seen`, or after `timeout`.
    public func wait(since seen: UInt64, timeout: Duration) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
            }
            group.addTask { [self] in
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.generation != seen || state.abandoned.remove(id) != nil { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            // Release the continuation, or tell it not to wait if it has not registered yet.
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if state.generation == seen { state.abandoned.insert(id) }
                return nil
            }
            waiter?.resume()
        }
    }
}

/// New inbox messages were committed in this process.
public typealias InboxSignal = ChangeSignal

/// Lets the handler wake the delivery worker although the two are built at different moments
/// of start-up: the worker connects itself once, the handler calls `wake()`.
public final class DeliveryWakeup: Sendable {
    /// A class around the closure: a closure kept directly in a `Mutex` is re-abstracted
    /// (wrapped in two more thunks) by every `withLock`, so each wake made the next one slower.
    private final class Target: Sendable {
        let wake: @Sendable () -> Void
        init(_ wake: @escaping @Sendable () -> Void) { self.wake = wake }
    }
    private let target = Mutex<Target?>(nil)

    public init() {}

    public func connect(_ wake: @escaping @Sendable () -> Void) {
        let boxed = Target(wake)
        target.withLock { $0 = boxed }
    }

    public func wake() {
        target.withLock { $0 }?.wake()
    }
}
