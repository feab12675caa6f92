import CLinux
import Glibc

/// SIGINT/SIGTERM delivered to one waiting thread instead of an async handler, so shutdown
/// runs as ordinary code. Block them before starting any thread: threads inherit the mask.
public enum TerminationSignals {
    public static func block() {
        var set = terminationSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for SIGINT or SIGTERM and returns its number.
    public static func wait() -> Int32 {
        var set = terminationSet()
        var signal: Int32 = 0
        sigwait(&set, &signal)
        return signal
    }

    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
