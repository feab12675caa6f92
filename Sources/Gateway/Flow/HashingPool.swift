import Dispatch
import DomainKit
import Messages
import RPC
import Synchronization

/// Runs password hashing (scrypt: 32 MiB and tens of ms each) on at most `workers` threads
/// with at most `maxQueued` hashes waiting; past that a login is refused at once with
/// RESOURCE_EXHAUSTED and a RetryInfo (issue 16). Before, every login took its own
/// `DispatchQueue.global()` block, so a burst of logins could start dozens of threads of
/// 32 MiB each and no one was ever told "busy".
///
/// Work leaves the event loop here on purpose: a hash would stall every call of the loop.
/// A drain loop per busy worker takes jobs until the queue is empty, so the threads in use
/// never exceed `workers` however many logins arrive.
public final class HashingPool: Sendable {
    public let workers: Int
    public let maxQueued: Int
    public let retryAfterMs: Int64
    private let state = Mutex(State())
    private let drainQueue = DispatchQueue(label: "xsc.gateway.password-hashing", attributes: .concurrent)

    private enum Admission { case startDrain, queued, refused }

    private struct State {
        var queue: [@Sendable () -> Void] = []
        var running = 0
        var peakRunning = 0
        var refused = 0
    }

    public struct Statistics: Sendable, Equatable {
        public var queued: Int
        public var running: Int
        /// The most hashes that ever ran at once (never above `workers`).
        public var peakRunning: Int
        public var refused: Int
    }

    public init(workers: Int = 2, maxQueued: Int = 32, retryAfterMs: Int64 = 200) {
        self.workers = max(1, workers)
        self.maxQueued = max(0, maxQueued)
        self.retryAfterMs = retryAfterMs
    }

    public var statistics: Statistics {
        state.withLock { Statistics(queued: $0.queue.count, running: $0.running, peakRunning: $0.peakRunning, refused: $0.refused) }
    }

    /// `work` on a pool thread, or RESOURCE_EXHAUSTED when the queue is full.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(RPCError) -> T {
        let outcome: T? = await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let job: @Sendable () -> Void = { continuation.resume(returning: work()) }
            let admission = state.withLock { state -> Admission in
                if state.running < workers {
                    state.running += 1
                    state.peakRunning = max(state.peakRunning, state.running)
                    return .startDrain
                }
                guard state.queue.count < maxQueued else {
                    state.refused += 1
                    return .refused
                }
                state.queue.append(job)
                return .queued
            }
            switch admission {
            case .startDrain: drainQueue.async { self.drain(first: job) }
            case .queued: break
            case .refused: continuation.resume(returning: nil)
            }
        }
        guard let outcome else { throw busy() }
        return outcome
    }

    /// Runs `first`, then queued jobs until none is left.
    private func drain(first: @Sendable () -> Void) {
        first()
        while true {
            let next = state.withLock { state -> (@Sendable () -> Void)? in
                if state.queue.isEmpty {
                    state.running -= 1
                    return nil
                }
                return state.queue.removeFirst()
            }
            guard let next else { return }
            next()
        }
    }

    private func busy() -> RPCError {
        var retry = Google_Rpc_RetryInfo()
        var delay = Google_Protobuf_Duration()
        delay.seconds = retryAfterMs / 1000
        delay.nanos = Int32((retryAfterMs % 1000) * 1_000_000)
        retry.retryDelay = delay
        var info = Google_Rpc_ErrorInfo()
        info.reason = "LOGIN_BUSY"
        info.domain = DomainErrors.domain
        return RPCError.withDetails(.resourceExhausted, "too many logins at once; retry in \(retryAfterMs) ms", [retry, info])
    }
}
