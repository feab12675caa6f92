import Messages
import ProtoCodec
import XCTest

/// Byte compatibility with Python's protobuf (fixtures from scripts/make-codec-fixtures.py).
final class PythonCompatibilityTests: XCTestCase {
    func testOrderDecodesFromPythonBytes() throws {
        XCTAssertEqual(try Bench_V1_Order(serializedBytes: PythonFixtures.order), Samples.order())
    }

    func testOrderEncodesToPythonBytes() {
        XCTAssertEqual(Samples.order().serializedBytes(), PythonFixtures.order)
    }

    func testEverythingDecodesFromPythonBytes() throws {
        let decoded = try Xsc_Codectest_V1_Everything(serializedBytes: PythonFixtures.everything)
        XCTAssertEqual(decoded.scalars, Samples.everything().scalars)
        XCTAssertEqual(decoded.oInt32, 0, "optional field present with its zero value")
        XCTAssertEqual(decoded.oString, "")
        XCTAssertNil(decoded.oBytes)
        XCTAssertNil(decoded.oDouble)
        XCTAssertEqual(decoded, Samples.everything())
    }

    /// Field order and packing match the reference encoder exactly (no maps: their order is free).
    func testEverythingEncodesToPythonBytes() {
        XCTAssertEqual(Samples.everything().serializedBytes(), PythonFixtures.everything)
    }

    func testMapsDecodeFromPythonBytes() throws {
        XCTAssertEqual(try Xsc_Codectest_V1_Everything(serializedBytes: PythonFixtures.maps), Samples.maps())
    }

    func testRecursiveMessageMatchesPython() throws {
        XCTAssertEqual(try Xsc_Codectest_V1_TreeNode(serializedBytes: PythonFixtures.tree), Samples.tree())
        XCTAssertEqual(Samples.tree().serializedBytes(), PythonFixtures.tree)
    }

    /// The committed benchmark request (../shared/bench/echo-request.bin, gRPC frame stripped).
    func testBenchEchoRequestRoundTripsByteForByte() throws {
        let order = try Bench_V1_Order(serializedBytes: PythonFixtures.echoRequest)
        XCTAssertFalse(order.id.isEmpty)
        XCTAssertFalse(order.items.isEmpty)
        XCTAssertGreaterThan(order.totalCents, 0)
        XCTAssertEqual(order.serializedBytes(), PythonFixtures.echoRequestReserialized)
        XCTAssertEqual(order.serializedBytes(), PythonFixtures.echoRequest)
    }
}
