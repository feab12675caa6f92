// Copied from Tests/PostgresTests (test targets cannot share files); keep the two in step.
import Synchronization

/// One-shot signal between test tasks.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyOpen = state.withLock { state -> Bool in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if alreadyOpen { continuation.resume() }
        }
    }
}

/// Lets `count` tasks proceed only once all of them have arrived.
final class Barrier: Sendable {
    private let remaining: Mutex<Int>
    private let latch = Latch()

    init(count: Int) { remaining = Mutex(count) }

    func arriveAndWait() async {
        let last = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if last { latch.open() }
        await latch.wait()
    }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
}
