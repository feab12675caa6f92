import ServiceKit
import Synchronization

// The store reads every time it writes or compares from a ServiceKit `WallClock` (Unix ms
// UTC, `SystemWallClock.now` by default), so a test can move time instead of waiting for it.

/// A clock that only moves when told to (tests).
public final class ManualWallClock: Sendable {
    private let millis: Mutex<Int64>

    public init(startingAt millis: Int64 = 1_700_000_000_000) {
        self.millis = Mutex(millis)
    }

    public func nowMillis() -> Int64 { millis.withLock { $0 } }

    /// This clock as the `WallClock` the store's types take.
    public var now: WallClock { { [self] in nowMillis() } }

    public func advance(by duration: Duration) {
        let delta = duration.milliseconds
        millis.withLock { $0 += delta }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
