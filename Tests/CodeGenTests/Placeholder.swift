import XCTest

final class CodeGenTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
