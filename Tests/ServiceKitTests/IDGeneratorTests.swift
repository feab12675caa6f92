import ServiceKit
import XCTest

final class IDGeneratorTests: XCTestCase {
    func testUUIDv7TextCarriesTheTimeVersionAndVariant() {
        let millis: Int64 = 0x0190_1234_5678
        let id = UUIDv7.make(millis: millis, random: RandomBytes())
        XCTAssertEqual(id.count, 36)
        let parts = id.split(separator: "-")
        XCTAssertEqual(parts.map(\.count), [8, 4, 4, 4, 12])
        XCTAssertEqual(String(parts[0]) + String(parts[1]), "019012345678")
        XCTAssertEqual(parts[2].first, "7", "version 7")
        XCTAssertTrue("89ab".contains(parts[3].first!), "variant 10")
        XCTAssertEqual(id, id.lowercased())
    }

    func testIdsAreDistinctAndOrderedByMillisecond() {
        let random = RandomBytes()
        var seen = Set<String>()
        // More than one 4 KiB refill of randomness.
        for _ in 0..<2_000 { seen.insert(UUIDv7.make(millis: 1_700_000_000_000, random: random)) }
        XCTAssertEqual(seen.count, 2_000)
        let earlier = UUIDv7.make(millis: 1_700_000_000_000, random: random)
        let later = UUIDv7.make(millis: 1_700_000_000_001, random: random)
        XCTAssertLessThan(earlier, later)
        XCTAssertNotEqual(SystemIDs.uuidV7(), SystemIDs.uuidV7())
    }

    func testRequestIDsAre128RandomBitsInHex() {
        let ids = (0..<1_000).map { _ in SystemIDs.random128Hex() }
        XCTAssertEqual(Set(ids).count, 1_000)
        XCTAssertTrue(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
        XCTAssertEqual(ActorMint.randomRequestID().count, 32)
    }
}
