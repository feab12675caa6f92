import RPC
import ServiceKit
import Synchronization
import XCTest
@testable import ServiceKitStore

/// The relay's signed actor per peer: reused for half its lifetime, per audience, and minted
/// afresh after that or when the clock steps back - also through the last-audience shortcut.
final class RelaySignedActorCacheTests: XCTestCase {
    private final class Clock: Sendable {
        let millis = Mutex<Int64>(1_000_000)
        var now: WallClock { { [self] in millis.withLock { $0 } } }
    }

    func testReuseWithinHalfTheLifetimePerAudienceOnly() {
        let clock = Clock()
        let mints = Mutex(0)
        let cache = SignedActorCache(lifetime: .seconds(60), clock: clock.now) { audience, now in
            let count = mints.withLock { $0 += 1; return $0 }
            return Metadata([("audience", audience), ("mint", "\(count)@\(now)")])
        }
        let first = cache.metadata(for: "notifications")
        XCTAssertEqual(cache.metadata(for: "notifications"), first)
        let other = cache.metadata(for: "customers")
        XCTAssertEqual(other["audience"], "customers")
        XCTAssertEqual(cache.metadata(for: "notifications"), first, "back to the first peer: still its actor")
        XCTAssertEqual(cache.metadata(for: "customers"), other)
        XCTAssertEqual(mints.withLock { $0 }, 2)

        clock.millis.withLock { $0 += 29_999 }
        XCTAssertEqual(cache.metadata(for: "customers"), other)
        clock.millis.withLock { $0 += 1 }
        let renewed = cache.metadata(for: "customers")
        XCTAssertNotEqual(renewed, other, "half the lifetime passed")
        XCTAssertEqual(renewed["audience"], "customers")
        clock.millis.withLock { $0 -= 1 }
        XCTAssertNotEqual(cache.metadata(for: "customers"), renewed, "the clock stepped back")
        XCTAssertEqual(mints.withLock { $0 }, 4)
    }
}
