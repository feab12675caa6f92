import Messages
import ProtoCodec
import XCTest

final class DecodeErrorTests: XCTestCase {
    private func assertRejects<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try M(serializedBytes: bytes), file: file, line: line) { error in
            XCTAssertTrue(error is ProtoDecodeError, "\(error)", file: file, line: line)
        }
    }

    func testTruncatedLengthDelimitedFieldIsRejected() {
        assertRejects(Bench_V1_Order.self, [0x0A, 0x05, 0x61])
    }

    func testTruncatedVarintIsRejected() {
        assertRejects(Bench_V1_Order.self, [0x38, 0xFF])
    }

    func testInvalidWireTypeIsRejected() {
        assertRejects(Bench_V1_Order.self, [0x0F])
    }

    func testFieldNumberZeroIsRejected() {
        assertRejects(Bench_V1_Order.self, [0x00, 0x01])
    }

    func testTruncatedNestedMessageIsRejected() {
        // items (6) claims 4 bytes, holding a sku (1) that claims 9.
        assertRejects(Bench_V1_Order.self, [0x32, 0x04, 0x0A, 0x09, 0x41, 0x42])
    }

    func testTruncatedFixedFieldIsRejected() {
        assertRejects(Xsc_Codectest_V1_Scalars.self, [0x09, 0x00, 0x00])
    }

    func testErrorNamesTheMessage() {
        XCTAssertThrowsError(try Bench_V1_Order(serializedBytes: [0x0F])) { error in
            XCTAssertEqual((error as? ProtoDecodeError)?.message, "invalid protobuf encoding of bench.v1.Order")
        }
    }

    func testArenaStillWorksAfterAFailedDecode() throws {
        let arena = ProtoArena()
        let bad: [UInt8] = [0x0A, 0x05, 0x61]
        XCTAssertThrowsError(try bad.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) })
        let good = Samples.order().serializedBytes()
        XCTAssertEqual(try good.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) }, Samples.order())
    }
}
