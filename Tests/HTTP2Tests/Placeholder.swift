import XCTest

final class HTTP2TestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
