import CLinux
import Glibc

/// Nanoseconds on CLOCK_MONOTONIC: deadlines and timers never jump with the wall clock.
public struct MonotonicTime: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public func adding(nanoseconds delta: UInt64) -> MonotonicTime {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(delta)
        return MonotonicTime(nanoseconds: overflow ? UInt64.max : sum)
    }

    public func adding(_ duration: Duration) -> MonotonicTime {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 { return self }
        let nanos = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if nanos.overflow { return MonotonicTime(nanoseconds: UInt64.max) }
        return adding(nanoseconds: nanos.partialValue).adding(nanoseconds: UInt64(attoseconds / 1_000_000_000))
    }

    /// Time left until `self`, zero when already past.
    public func remaining(from now: MonotonicTime = .now()) -> Duration {
        guard nanoseconds > now.nanoseconds else { return .zero }
        return .nanoseconds(Int64(clamping: nanoseconds - now.nanoseconds))
    }
}

/// Blocks the calling thread; for shutdown sequencing on the main thread, never on a loop.
public func sleepMilliseconds(_ milliseconds: Int) {
    usleep(UInt32(milliseconds * 1000))
}
