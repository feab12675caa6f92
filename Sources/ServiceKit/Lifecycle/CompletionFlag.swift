import NetIO
import Synchronization

/// Lets synchronous shutdown code wait, with a limit, for async work it started: the main
/// thread polls a flag the task sets (the same short-sleep wait RPCServer.shutdown uses).
final class CompletionFlag: Sendable {
    private let done = Atomic<Bool>(false)

    func set() { done.store(true, ordering: .releasing) }

    /// True when set before `timeout` ran out.
    func wait(timeout: Duration) -> Bool {
        let deadline = MonotonicTime.now().adding(timeout)
        while !done.load(ordering: .acquiring) {
            if MonotonicTime.now() >= deadline { return false }
            sleepMilliseconds(5)
        }
        return true
    }
}
