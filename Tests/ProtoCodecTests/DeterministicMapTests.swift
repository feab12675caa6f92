import Messages
import ProtoCodec
import XCTest

/// The same map must always encode to the same bytes (request fingerprints depend on it),
/// whatever order its entries were inserted in.
final class DeterministicMapTests: XCTestCase {
    func testMapEncodingDoesNotDependOnInsertionOrder() {
        let keys = (0..<64).map { "key-\($0)" }
        var forward = Xsc_Codectest_V1_Everything()
        for key in keys { forward.mStringString[key] = "v" + key }
        var backward = Xsc_Codectest_V1_Everything()
        for key in keys.reversed() { backward.mStringString[key] = "v" + key }
        var flags = Xsc_Codectest_V1_Everything()
        flags.mUint64Bool = [3: true, 1: false, 2: true]
        XCTAssertEqual(forward.serializedBytes(), backward.serializedBytes())
        XCTAssertEqual(flags.serializedBytes(), flags.serializedBytes())
        XCTAssertFalse(forward.serializedBytes().isEmpty)
    }
}
