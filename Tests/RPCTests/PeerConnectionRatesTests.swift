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

    // MARK: IPv6 per /64

    func testIPv6AddressesShareTheBucketAndCoolDownOfTheir64() {
        var table = rates(burst: 3)
        XCTAssertEqual(["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"].map { table.admit($0, now: at(0)) },
                       [.admitted, .admitted, .admitted])
        XCTAssertEqual(table.admit("2001:db8:1:2:abcd::77", now: at(0)), .overRate, "a fourth address of the same /64")
        XCTAssertEqual(table.admit("2001:db8:1:3::1", now: at(0)), .admitted, "the next /64 is another client")
        table.closedForGlitches("2001:db8:1:3::1", now: at(10))
        XCTAssertTrue(table.isCoolingDown("2001:db8:1:3:9999::5", now: at(20)), "the whole /64 cools down")
        XCTAssertEqual(table.admit("2001:db8:1:3:9999::5", now: at(20)), .coolingDown)
    }

    func testIPv4MappedAddressesAreTheirIPv4Address() {
        var table = rates(burst: 1)
        XCTAssertEqual(table.admit("10.0.0.5", now: at(0)), .admitted)
        XCTAssertEqual(table.admit("::ffff:10.0.0.5", now: at(0)), .overRate, "the same client through a dual-stack listener")
        table.closedForGlitches("::ffff:10.0.0.6", now: at(0))
        XCTAssertTrue(table.isCoolingDown("10.0.0.6", now: at(1)))
    }

    // MARK: Kernel blocks

    func testACoolingDownAddressIsBlockedInTheKernelBetweenItsConnections() {
        var table = rates(burst: 0)
        XCTAssertEqual(table.kernelBlocks(now: at(0)), .init(generation: 0, prefixes: [], nextExpiry: nil))
        table.closedForGlitches("10.0.0.9", now: at(0))
        let blocked = table.kernelBlocks(now: at(10))
        XCTAssertEqual(blocked.prefixes, [.v4(0x0A00_0009)], "blocked for the rest of the second its close used")
        XCTAssertEqual(blocked.nextExpiry, at(1000))
        XCTAssertNotEqual(blocked.generation, 0)
        XCTAssertEqual(table.kernelBlocks(now: at(999)).generation, blocked.generation, "no change, same generation")

        let lifted = table.kernelBlocks(now: at(1000))
        XCTAssertEqual(lifted.prefixes, [], "lifted when the next connection is due")
        XCTAssertNotEqual(lifted.generation, blocked.generation)
        XCTAssertEqual(table.admit("10.0.0.9", now: at(1200)), .admitted, "its one connection of the second")
        let again = table.kernelBlocks(now: at(1200))
        XCTAssertEqual(again.prefixes, [.v4(0x0A00_0009)], "blocked again until the next one is due")
        XCTAssertEqual(again.nextExpiry, at(2200))
        XCTAssertEqual(table.kernelBlocksStarted, 2)
        table.closedForGlitches("10.0.0.9", now: at(1300))   // that connection was a rapid reset too
        let longer = table.kernelBlocks(now: at(1300))
        XCTAssertEqual(longer.generation, again.generation, "a longer block of a blocked address: the filter stays")
        XCTAssertEqual(longer.nextExpiry, at(2300))
        XCTAssertEqual(table.kernelBlocksStarted, 2)

        XCTAssertEqual(table.kernelBlocks(now: at(2300)).prefixes, [])
        XCTAssertEqual(table.admit("10.0.0.9", now: at(60_000)), .admitted, "the cool-down (20 s after two closes) is over")
        XCTAssertEqual(table.kernelBlocks(now: at(60_000)).prefixes, [], "and no longer blocked")
    }

    func testTheBlockNeverOutlastsTheCoolDown() {
        var table = PeerConnectionRates(limits: .init(burst: 0, perSecond: 1, coolDown: .milliseconds(1500),
                                                      coolDownInterval: .seconds(1)))
        table.closedForGlitches("10.0.0.9", now: at(0))
        XCTAssertEqual(table.admit("10.0.0.9", now: at(1000)), .admitted)
        XCTAssertEqual(table.kernelBlocks(now: at(1000)).nextExpiry, at(1500), "the cool-down ends at 1.5 s")
    }

    func testKernelBlocksAreBoundedAndCanBeTurnedOff() {
        var table = PeerConnectionRates(limits: .init(burst: 0, perSecond: 1, coolDown: .seconds(10), kernelDropLimit: 4))
        for index in 0..<10 { table.closedForGlitches("10.0.0.\(index)", now: at(0)) }
        XCTAssertEqual(table.kernelBlocks(now: at(1)).prefixes.count, 4, "the rest are refused at accept only")
        XCTAssertEqual(table.admit("10.0.0.9", now: at(1)), .coolingDown)
        table.closedForGlitches("2001:db8::1", now: at(1000))
        XCTAssertEqual(table.kernelBlocks(now: at(1000)).prefixes, [.v6(0x2001_0DB8_0000_0000)], "a /64 once the others ended")
        table.closedForGlitches("abuser", now: at(1000))
        XCTAssertEqual(table.kernelBlocks(now: at(1000)).prefixes.count, 1, "not an address: accept-time refusal only")

        var off = PeerConnectionRates(limits: .init(burst: 0, perSecond: 1, coolDown: .seconds(10), kernelDropLimit: 0))
        off.closedForGlitches("10.0.0.1", now: at(0))
        XCTAssertEqual(off.kernelBlocks(now: at(1)).prefixes, [])
        XCTAssertEqual(off.admit("10.0.0.1", now: at(1)), .coolingDown, "the cool-down itself still applies")
    }
}
