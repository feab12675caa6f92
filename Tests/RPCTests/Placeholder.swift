import XCTest

final class RPCTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
