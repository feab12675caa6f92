import NetIO
import XCTest
@testable import RPC

/// The per-address connection rate and cool-down, with the time given (no sleeping).
final class PeerConnectionRatesTests: XCTestCase {
    private func at(_ milliseconds: UInt64) -> MonotonicTime {
        MonotonicTime(nanoseconds: 1_000_000_000_000 + milliseconds * 1_000_000)
    }

    private func rates(burst: Int = 3, perSecond: Int = 10, coolDown: Duration = .seconds(10),
                       tableSize: Int = 4096) -> PeerConnectionRates {
        PeerConnectionRates(limits: .init(burst: burst, perSecond: perSecond, coolDown: coolDown,
                                          maxCoolDown: .seconds(40), coolDownInterval: .seconds(1), tableSize: tableSize))
    }

    func testABurstThenTheRate() {
        var table = rates()
        XCTAssertEqual((0..<3).map { _ in table.admit("10.0.0.1", now: at(0)) }, [.admitted, .admitted, .admitted])
        XCTAssertEqual(table.admit("10.0.0.1", now: at(0)), .overRate)
        XCTAssertEqual(table.admit("10.0.0.2", now: at(0)), .admitted, "another address has its own bucket")
        XCTAssertEqual(table.admit("10.0.0.1", now: at(50)), .overRate, "half a token after 50 ms at 10/s")
        XCTAssertEqual(table.admit("10.0.0.1", now: at(100)), .admitted, "one token back after 100 ms")
        XCTAssertEqual(table.admit("10.0.0.1", now: at(100)), .overRate)
        XCTAssertEqual((0..<3).map { _ in table.admit("10.0.0.1", now: at(10_000)) }, [.admitted, .admitted, .admitted],
                       "refilled to the burst, no further")
        XCTAssertEqual(table.admit("10.0.0.1", now: at(10_000)), .overRate)
    }

    func testBurstZeroTurnsTheRateOffAndRemembersNobody() {
        var table = rates(burst: 0)
        for _ in 0..<1000 { XCTAssertEqual(table.admit("10.0.0.1", now: at(0)), .admitted) }
        XCTAssertEqual(table.count, 0)
    }

    func testAGlitchCloseCoolsTheAddressDownToOneConnectionASecond() {
        var table = rates(burst: 0)
        table.closedForGlitches("10.0.0.9", now: at(0))
        XCTAssertTrue(table.isCoolingDown("10.0.0.9", now: at(0)))
        XCTAssertEqual(table.admit("10.0.0.9", now: at(10)), .coolingDown, "the close itself used this second's connection")
        XCTAssertEqual(table.admit("10.0.0.1", now: at(10)), .admitted, "other addresses are not affected")
        XCTAssertEqual(table.admit("10.0.0.9", now: at(1000)), .admitted, "one a second while cooling down")
        XCTAssertEqual(table.admit("10.0.0.9", now: at(1500)), .coolingDown)
        XCTAssertEqual(table.admit("10.0.0.9", now: at(2000)), .admitted)
        XCTAssertFalse(table.isCoolingDown("10.0.0.9", now: at(10_000)))
        for _ in 0..<50 { XCTAssertEqual(table.admit("10.0.0.9", now: at(10_000)), .admitted, "over after 10 s") }
    }

    func testRepeatedGlitchClosesDoubleTheCoolDownUpToTheCap() {
        var table = rates(burst: 0)
        table.closedForGlitches("10.0.0.9", now: at(0))         // 10 s
        table.closedForGlitches("10.0.0.9", now: at(1000))      // 20 s from 1 s
        XCTAssertTrue(table.isCoolingDown("10.0.0.9", now: at(20_999)))
        XCTAssertFalse(table.isCoolingDown("10.0.0.9", now: at(21_000)))
        table.closedForGlitches("10.0.0.9", now: at(22_000))    // 40 s (the cap)
        table.closedForGlitches("10.0.0.9", now: at(23_000))    // 80 s, capped at 40
        XCTAssertTrue(table.isCoolingDown("10.0.0.9", now: at(62_999)))
        XCTAssertFalse(table.isCoolingDown("10.0.0.9", now: at(63_000)))
        table.closedForGlitches("10.0.0.9", now: at(200_000))   // long after: forgiven, 10 s again
        XCTAssertFalse(table.isCoolingDown("10.0.0.9", now: at(210_000)))
    }

    func testCoolDownZeroTurnsItOff() {
        var table = rates(coolDown: .zero)
        table.closedForGlitches("10.0.0.9", now: at(0))
        XCTAssertEqual(table.admit("10.0.0.9", now: at(0)), .admitted)
    }

    func testTheTableStaysBoundedAndKeepsCoolDownsOverIdleAddresses() {
        var table = rates(burst: 2, coolDown: .seconds(40), tableSize: 64)
        table.closedForGlitches("abuser", now: at(0))
        for index in 0..<150 {   // one new address every 200 ms: each idle one refills in 100 ms
            _ = table.admit("10.1.0.\(index)", now: at(UInt64(index) * 200))
            XCTAssertLessThanOrEqual(table.count, 64)
        }
        // The idle addresses (bucket refilled: indistinguishable from new ones) went first; the
        // abuser, seen less recently than all of them, is still remembered and cooling down.
        XCTAssertTrue(table.isCoolingDown("abuser", now: at(29_999)))
        for index in 0..<1000 {  // then a thousand at once: the least recently seen go
            _ = table.admit("10.2.\(index / 256).\(index % 256)", now: at(29_999))
            XCTAssertLessThanOrEqual(table.count, 64)
        }
    }
}
