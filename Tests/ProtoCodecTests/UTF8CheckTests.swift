@testable import ProtoCodec
import XCTest

/// The string check's own UTF-8 validator must accept exactly what the standard library's
/// `String(validating:)` accepts.
final class UTF8CheckTests: XCTestCase {
    private func agree(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let expected = String(validating: bytes, as: UTF8.self) != nil
        let actual = bytes.withUnsafeBufferPointer { ProtoStringCheck.isValidUTF8($0) }
        XCTAssertEqual(actual, expected, "\(bytes.map { String($0, radix: 16) })", file: file, line: line)
    }

    func testEveryOneAndTwoByteSequenceAndEdgesOfLongerOnes() {
        for first in 0...255 {
            agree([UInt8(first)])
            for second in 0...255 { agree([UInt8(first), UInt8(second)]) }
        }
        // Lead bytes of 3- and 4-byte forms with every second byte, and continuation edges.
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for lead in 0xE0...0xFF {
            for second in 0...255 {
                for third in edges {
                    agree([UInt8(lead), UInt8(second), third])
                    for fourth in edges { agree([UInt8(lead), UInt8(second), third, fourth]) }
                }
            }
        }
    }

    func testRandomTextAndNoise() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let samples = ["张三", "上海市浦东新区", "a😀b", "Ünïcödé", "\u{10FFFF}", "\u{FFFD}", "ascii"]
        for _ in 0..<5_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(next() % 6) {
                if next() % 3 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: next()))
                } else {
                    bytes += Array(samples[Int(next() % UInt64(samples.count))].utf8)
                }
            }
            agree(bytes)
            if !bytes.isEmpty { agree(Array(bytes.dropLast())) }
        }
    }
}
