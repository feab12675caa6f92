@testable import HTTP2
@testable import RPC
import XCTest

/// A connection remembers binary metadata it found valid (no check per call of a reused actor)
/// and a client connection the base64 of values it sent: neither may change an answer.
final class Base64MemoTests: XCTestCase {
    private func block(_ fields: [(String, String)]) -> HTTP2HeaderBlock {
        var block = HTTP2HeaderBlock()
        for (name, value) in fields {
            let n = Array(name.utf8), v = Array(value.utf8)
            n.withUnsafeBufferPointer { n in v.withUnsafeBufferPointer { v in block.append(name: n, value: v) } }
        }
        return block
    }

    func testRememberedValuesAreOnlyValidOnesAndEveryOtherValueIsChecked() {
        var known = ValidBase64Texts()
        let valid = block([("x-xsc-actor-bin", "QUJD"), ("x-xsc-actor-sig-bin", "REVG,R0hJ")])
        XCTAssertNil(MetadataCodec.firstInvalidBinaryField(in: valid, knownValid: &known))
        XCTAssertTrue(known.contains(Array("QUJD".utf8)[...]))
        XCTAssertTrue(known.contains(Array("REVG,R0hJ".utf8)[...]))
        XCTAssertNil(MetadataCodec.firstInvalidBinaryField(in: valid, knownValid: &known), "again, from memory")

        // Another value on the same connection is still checked, and a bad one is not remembered.
        let broken = block([("x-xsc-actor-bin", "QUJD"), ("x-xsc-actor-sig-bin", "RE*G")])
        XCTAssertEqual(MetadataCodec.firstInvalidBinaryField(in: broken, knownValid: &known), "x-xsc-actor-sig-bin")
        XCTAssertEqual(MetadataCodec.firstInvalidBinaryField(in: broken, knownValid: &known), "x-xsc-actor-sig-bin")
        XCTAssertFalse(known.contains(Array("RE*G".utf8)[...]))
        // Prefix or extension of a remembered value: not the same bytes, so checked.
        let longer = block([("x-xsc-actor-bin", "QUJDR")])
        XCTAssertEqual(MetadataCodec.firstInvalidBinaryField(in: longer, knownValid: &known), "x-xsc-actor-bin")

        // Bounded: old values give way to new ones, and are checked again afterwards.
        for index in 0..<(ValidBase64Texts.capacity + 1) {
            XCTAssertNil(MetadataCodec.firstInvalidBinaryField(in: block([("a-bin", "QUJD" + String(repeating: "QQ", count: index + 1))]),
                                                               knownValid: &known))
        }
        XCTAssertFalse(known.contains(Array("QUJD".utf8)[...]))
        var untouched = ValidBase64Texts()
        let large = String(repeating: "QUJD", count: ValidBase64Texts.maxRemembered)
        XCTAssertNil(MetadataCodec.firstInvalidBinaryField(in: block([("a-bin", large)]), knownValid: &untouched))
        XCTAssertFalse(untouched.contains(Array(large.utf8)[...]), "too large to keep")
    }

    func testRemembersOnlyOnAcceptedRequestsOfTheParse() {
        var known = ValidBase64Texts()
        let request = block([(":method", "POST"), (":path", "/p.S/M"), ("content-type", "application/grpc"),
                             ("te", "trailers"), ("x-xsc-actor-bin", "QUJD")])
        guard case .success = RequestHead.parse(request, knownValidBinary: &known) else { return XCTFail("refused") }
        let bad = block([(":method", "POST"), (":path", "/p.S/M"), ("content-type", "application/grpc"),
                         ("te", "trailers"), ("x-xsc-actor-bin", "Q")])
        guard case .failure(let rejection) = RequestHead.parse(bad, knownValidBinary: &known) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.message, "malformed binary metadata: x-xsc-actor-bin is not base64")
    }

    func testEncodingsAreWhatBase64Gives() {
        var encodings = Base64Encodings()
        let values: [[UInt8]] = [[], [1], [1, 2], [1, 2, 3], Array(0...255), [1], [9, 9, 9, 9], [1, 2, 3], [7], [8], [1]]
        for value in values + values {
            var out: [UInt8] = [UInt8(ascii: "x")]
            encodings.append(value, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "x" + Base64.encode(value))
        }
        var list = HTTP2HeaderList()
        var metadata = Metadata()
        metadata.add("a-bin", binary: [1, 2, 3, 4])
        metadata.add("b", "text")
        MetadataCodec.append(metadata, to: &list, encodings: &encodings)
        var plain = HTTP2HeaderList()
        MetadataCodec.append(metadata, to: &plain)
        XCTAssertEqual(list.bytes, plain.bytes)
    }
}
