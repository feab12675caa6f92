import Synchronization

/// One-shot signal between test tasks.
public final class Latch: Sendable {
    public init() {}
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    public func wait() async {
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
public final class Barrier: Sendable {
    private let remaining: Mutex<Int>
    private let latch = Latch()

    public init(count: Int) { remaining = Mutex(count) }

    public func arriveAndWait() async {
        let last = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if last { latch.open() }
        await latch.wait()
    }
}

public final class Counter: Sendable {
    public init() {}
    private let value = Mutex(0)
    @discardableResult public func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    public var current: Int { value.withLock { $0 } }
}
