import XCTest

final class ProtoCodecTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
