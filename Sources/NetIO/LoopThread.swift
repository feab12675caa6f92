import CLinux
import Glibc

/// Starts an `EventLoop` on a thread of its own (a plain pthread: no Foundation, whose runtime
/// would cost several MB of resident memory per service).
public final class LoopThread: @unchecked Sendable {
    public let loop: EventLoop
    private var thread: pthread_t?

    private final class StartBox {
        let loop: EventLoop
        init(loop: EventLoop) { self.loop = loop }
    }

    public init(loop: EventLoop) { self.loop = loop }

    /// Spawns the thread and runs the loop on it.
    public func start() throws(NetIOError) {
        let box = Unmanaged.passRetained(StartBox(loop: loop)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<StartBox>.fromOpaque(argument).takeRetainedValue()
            box.loop.run()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<StartBox>.fromOpaque(box).release()
            throw NetIOError.system("pthread_create", result)
        }
        thread = handle
    }

    /// Waits for the loop thread to end (after `loop.stop()`).
    public func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }
}
