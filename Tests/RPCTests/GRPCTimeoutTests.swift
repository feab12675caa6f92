@testable import RPC
import XCTest

/// `grpc-timeout` is written straight into a request's header bytes: the text must be what the
/// spelled-out rule gives (finest unit within 8 digits, rounded up), and parse back to no less.
final class GRPCTimeoutTests: XCTestCase {
    private func reference(_ nanoseconds: UInt64) -> String {
        let units: [(UInt64, String)] = [(1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"),
                                         (60_000_000_000, "M"), (3_600_000_000_000, "H")]
        for (size, unit) in units {
            let value = nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1)
            if value < 100_000_000 { return "\(value)\(unit)" }
        }
        return "99999999H"
    }

    func testFormatMatchesTheRuleAndParsesBackToNoLess() {
        var values: [UInt64] = [0, 1, 9, 10, 99_999_999, 100_000_000, 100_000_001, 999_999_999, 1_000_000_000,
                                30_000_000_000, 99_999_999_000, 99_999_999_001, 6_000_000_000_000, 360_000_000_000_000,
                                359_999_999_640_000, UInt64.max / 2, UInt64.max]
        var next: UInt64 = 7
        for _ in 0..<2_000 {
            next = next &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(next >> (next % 64))
        }
        for value in values {
            let text = GRPCTimeout.format(nanoseconds: value)
            XCTAssertEqual(text, reference(value), "\(value)")
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            GRPCTimeout.write(nanoseconds: value, to: &bytes)
            XCTAssertEqual(String(decoding: bytes.dropFirst(), as: UTF8.self), text)
            if text != "99999999H" {
                XCTAssertGreaterThanOrEqual(GRPCTimeout.parse(Array(text.utf8)[...]) ?? 0, value, text)
            }
        }
    }
}
