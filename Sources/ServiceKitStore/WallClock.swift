import Foundation
import Synchronization

/// Where the store's timestamps come from (Unix milliseconds UTC, the project's convention).
/// Every time written to or compared in the platform tables is read from one of these, so a
/// test can move time forward instead of waiting for it.
public protocol WallClock: Sendable {
    func nowMillis() -> Int64
}

/// The machine's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A clock that only moves when told to (tests).
public final class ManualWallClock: WallClock {
    private let millis: Mutex<Int64>

    public init(startingAt millis: Int64 = 1_700_000_000_000) {
        self.millis = Mutex(millis)
    }

    public func nowMillis() -> Int64 { millis.withLock { $0 } }

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
