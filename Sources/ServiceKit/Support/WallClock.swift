import Glibc

/// Unix time in milliseconds. Logs and actor expiry take one of these instead of reading the
/// clock themselves, so tests can pin the time.
public typealias WallClock = @Sendable () -> Int64

public enum SystemWallClock {
    public static let now: WallClock = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
