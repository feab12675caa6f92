import NetIO
import XCTest

/// `ByteStrings` compares with memcmp what the generic algorithms compared element by element:
/// it must answer exactly what they answer.
final class ByteStringsTests: XCTestCase {
    private let texts = ["", "a", "te", "POST", "trailers", "x-xsc-actor-bin", "x-xsc-actor-sig-bin", "Content-Type",
                         "traceparent", "idempotency-key", "-bin", "a-bin", "über-bin", String(repeating: "long-name-", count: 8)]

    func testEqualityAgreesWithElementwiseComparison() {
        for left in texts {
            let bytes = Array(left.utf8)
            // A slice that does not start at zero, as header values are.
            let padded = [UInt8(ascii: "#")] + bytes + [UInt8(ascii: "#")]
            let slice = padded[1..<(padded.count - 1)]
            for right in texts {
                let expected = bytes.elementsEqual(right.utf8)
                XCTAssertEqual(ByteStrings.equal(slice, right), expected, "\(left) vs \(right)")
                XCTAssertEqual(ByteStrings.equal(slice, Array(right.utf8)), expected, "\(left) vs \(right)")
                XCTAssertEqual(ByteStrings.equal(slice, Array(right.utf8)[...]), expected, "\(left) vs \(right)")
            }
        }
        XCTAssertTrue(ByteStrings.equal(Array("POST".utf8)[...], "POST" as StaticString))
        XCTAssertFalse(ByteStrings.equal(Array("POSt".utf8)[...], "POST" as StaticString))
        XCTAssertFalse(ByteStrings.equal(Array("POS".utf8)[...], "POST" as StaticString))
        XCTAssertTrue(ByteStrings.equal([UInt8]()[...], "" as StaticString))
    }

    func testLowercaseASCIIAndSuffix() {
        for text in texts {
            let lower = text.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
            XCTAssertEqual(ByteStrings.isLowercaseASCII(text), lower, text)
            let suffixed = text.utf8.count > 4 && text.utf8.suffix(4).elementsEqual("-bin".utf8)
            XCTAssertEqual(ByteStrings.hasLongerSuffix(text, "-bin"), suffixed, text)
        }
    }
}
