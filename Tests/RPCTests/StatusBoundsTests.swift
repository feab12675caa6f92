import XCTest
@testable import RPC

/// A status echoing a huge request field is cut to a header block every client accepts.
final class StatusBoundsTests: XCTestCase {
    func testLongMessagesAreCutOnACharacterBoundary() {
        let huge = String(repeating: "订", count: 1 << 18)  // 768 KiB of UTF-8
        let cut = StatusBounds.message(huge)
        XCTAssertLessThanOrEqual(cut.utf8.count, StatusBounds.maxMessageBytes + "…".utf8.count)
        XCTAssertTrue(cut.hasSuffix("…"))
        XCTAssertEqual(cut.dropLast().count, StatusBounds.maxMessageBytes / 3, "whole characters only")
        XCTAssertEqual(StatusBounds.message("short"), "short")
    }

    func testOversizedDetailsAreDropped() {
        XCTAssertNil(StatusBounds.details([UInt8](repeating: 1, count: StatusBounds.maxDetailsBytes + 1)))
        XCTAssertEqual(StatusBounds.details([1, 2, 3]), [1, 2, 3])
        XCTAssertNil(StatusBounds.details(nil))
    }
}
