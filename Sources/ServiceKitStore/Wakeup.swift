import Synchronization

/// Lets a polling loop sleep until its interval passes or someone has new work for it.
/// A signal that arrives while the loop is busy is remembered, so it is never lost.
/// One waiter at a time (the loop).
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
        /// A wait whose timer fired (or whose task was cancelled) before it started waiting.
        var expiredGeneration: UInt64 = 0
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after `timeout`, on a signal, or when the task is cancelled.
    func wait(for timeout: Duration) async {
        let generation = state.withLock { state -> UInt64 in
            state.generation += 1
            return state.generation
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(generation)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled {
                        state.signalled = false
                        return true
                    }
                    if state.expiredGeneration == generation { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            expire(generation)
        }
        timer.cancel()
    }

    private func expire(_ generation: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation else { return nil }
            guard let waiter = state.waiter else {
                state.expiredGeneration = generation
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
