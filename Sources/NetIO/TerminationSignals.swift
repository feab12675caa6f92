import CLinux
import Glibc

/// SIGINT/SIGTERM delivered to one waiting thread instead of an async handler, so shutdown
/// runs as ordinary code. Block them before starting any thread: threads inherit the mask.
///
/// A service process also takes SIGHUP this way (`block(includingHangup:)`,
/// `wait(onHangup:)`): the operator's "reload" (the gateway's TLS certificate), run on the
/// waiting thread, after which it waits again.
public enum TerminationSignals {
    /// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts); with
    /// `includingHangup` also SIGHUP, whose default action (ending the process) is replaced by
    /// doing nothing: a SIGHUP that reaches a thread started before the mask (nothing waits for
    /// it there) must not end a server. (A handler also lets `kill -HUP 1` inside a container
    /// reach a server that is PID 1: the kernel drops signals left at their default there.)
    public static func block(includingHangup: Bool = false) {
        var set = terminationSet()
        if includingHangup {
            sigaddset(&set, SIGHUP)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in }
            sigemptyset(&action.sa_mask)
            sigaction(SIGHUP, &action, nil)
        }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for SIGINT or SIGTERM and returns its number.
    public static func wait() -> Int32 {
        var set = terminationSet()
        var signal: Int32 = 0
        sigwait(&set, &signal)
        return signal
    }

    /// Waits for SIGINT or SIGTERM and returns its number; calls `onHangup` for each SIGHUP
    /// meanwhile (block SIGHUP first: `block(includingHangup: true)`). While this thread waits,
    /// the kernel hands it a signal sent to the process before any other thread.
    public static func wait(onHangup: () -> Void) -> Int32 {
        var set = terminationSet()
        sigaddset(&set, SIGHUP)
        while true {
            var signal: Int32 = 0
            guard sigwait(&set, &signal) == 0 else { continue }
            if signal != SIGHUP { return signal }
            onHangup()
        }
    }

    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
