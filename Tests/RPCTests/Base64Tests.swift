@testable import RPC
import XCTest

/// `Base64.isValid` checks a request's binary metadata without decoding it: it must accept
/// exactly what `decode` accepts.
final class Base64Tests: XCTestCase {
    private let samples: [String] = [
        "", "=", "==", "A", "AA", "AAA", "AAAA", "AAAAA", "QQ", "QQ=", "QQ==", "QQ===", "Q=Q", "QUJD", "QUJDRA",
        "QUJDRA==", "QU JD", "QUJD!", "-_-_", "+/+/", "YWJj\n", "=QUJD", "QUJD=QUJD", "////", "ÿ",
    ]

    func testIsValidAgreesWithDecode() {
        for sample in samples {
            let bytes = Array(sample.utf8)
            XCTAssertEqual(Base64.isValid(bytes), Base64.decode(bytes) != nil, sample)
            XCTAssertEqual(Base64.isValid(bytes[...]), Base64.decode(bytes[...]) != nil, sample)
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("AB+/-_=x!".utf8)
        for _ in 0..<2_000 {
            let input = (0..<Int.random(in: 0...9, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            XCTAssertEqual(Base64.isValid(input), Base64.decode(input) != nil, String(decoding: input, as: UTF8.self))
        }
    }

    func testRoundTripAndKnownValues() {
        for length in 0...20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64.encode(bytes)
            XCTAssertEqual(Base64.decode(Array(text.utf8)), bytes, text)
            XCTAssertEqual(Base64.decode(Array(Base64.encode(bytes, padded: true).utf8)), bytes)
        }
        XCTAssertEqual(Base64.encode(Array("ABCD".utf8)), "QUJDRA")
        XCTAssertEqual(Base64.encode(Array("ABCD".utf8), padded: true), "QUJDRA==")
        XCTAssertEqual(Base64.decode(Array("QUJDRA==".utf8)), Array("ABCD".utf8))
        XCTAssertNil(Base64.decode(Array("QUJ=DRA".utf8)), "padding inside")
        XCTAssertNil(Base64.decode(Array("QUJDR".utf8)), "4n+1 symbols")
    }
}
