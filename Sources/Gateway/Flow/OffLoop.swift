import Dispatch

/// Runs CPU-heavy work (scrypt: tens of milliseconds, tens of MiB) off the event loop thread,
/// so one login does not stall every other call on that loop.
enum OffLoop {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
