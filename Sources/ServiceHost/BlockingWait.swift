import Dispatch
import Synchronization

/// Runs async start-up work (connecting, migrating) from the synchronous main thread, which
/// ServiceRunner keeps for signal handling. Only for start-up: it parks the calling thread.
enum BlockingWait {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        // The semaphore orders the write before this read; the lock makes that explicit.
        guard let outcome = result.withLock({ $0 }) else {
            preconditionFailure("start-up task signalled without a result")
        }
        return try outcome.get()
    }
}
