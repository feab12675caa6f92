import Messages
import ProtoCodec
import XCTest

/// proto3 strings must be valid UTF-8, and protobuf-c would cut one at a NUL: both are refused
/// before unpacking, naming the field (nested paths included); valid text of every script and
/// bytes fields with any content still decode.
final class StringCheckTests: XCTestCase {
    private func refusal(_ bytes: [UInt8]) -> ProtoDecodeError? {
        do {
            _ = try Bench_V1_Order(serializedBytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    func testInvalidUTF8InATopLevelStringIsNamed() {
        let error = refusal([0x22, 0x03, 0x41, 0xC3, 0x28])  // customer_name (4) = "A" + broken 2-byte sequence
        XCTAssertEqual(error?.invalidStringField, "customer_name")
        XCTAssertEqual(error?.message, "customer_name: is not valid UTF-8")
    }

    func testANulInsideAStringIsRefused() {
        // id "ab\0cd": before, protobuf-c's C string ended at the NUL and the id read "ab".
        let error = refusal([0x0A, 0x05, 0x61, 0x62, 0x00, 0x63, 0x64])
        XCTAssertEqual(error?.invalidStringField, "id")
        XCTAssertEqual(error?.message, "id: contains a NUL character")
    }

    func testNestedStringsCarryTheirPath() {
        // items (6) = Item { name (2) = 0xFF }
        let error = refusal([0x32, 0x03, 0x12, 0x01, 0xFF])
        XCTAssertEqual(error?.invalidStringField, "items.name")
    }

    func testOverlongAndSurrogateEncodingsAreRefused() {
        XCTAssertNotNil(refusal([0x0A, 0x02, 0xC0, 0xAF]), "overlong '/'")
        XCTAssertNotNil(refusal([0x0A, 0x03, 0xED, 0xA0, 0x80]), "UTF-16 surrogate D800")
        XCTAssertNotNil(refusal([0x0A, 0x04, 0xF4, 0x90, 0x80, 0x80]), "beyond U+10FFFF")
    }

    func testValidTextOfEveryKindDecodes() throws {
        var order = Bench_V1_Order()
        order.customerName = "张三 O'Brien 🍶 ١٢٣"
        order.address = "重庆市渝中区\t解放碑"
        var item = Bench_V1_Item()
        item.name = "白酒 500ml"
        order.items = [item]
        let decoded = try Bench_V1_Order(serializedBytes: order.serializedBytes())
        XCTAssertEqual(decoded, order)
    }

    func testMalformedBytesAreStillUnpacksToRefuse() {
        let error = refusal([0x0A, 0x05, 0x61])  // id claims 5 bytes, has 1
        XCTAssertNotNil(error)
        XCTAssertNil(error?.invalidStringField, "broken encoding is not a string problem")
    }
}
