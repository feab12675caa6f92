import XCTest
@testable import RPC

final class MessageQueueTests: XCTestCase {
    func testKeepsOrderAcrossInterleavedAppendsAndPops() {
        var queue = MessageQueue()
        var expected: [UInt8] = []
        var popped: [UInt8] = []
        var next: UInt8 = 0
        // A fixed pattern of pushes and pops that exercises head, backlog and its reuse.
        for step in [3, -2, 4, -5, 1, -1, 2, -2] {
            if step > 0 {
                for _ in 0..<step { queue.append([next][...]); expected.append(next); next += 1 }
            } else {
                for _ in 0..<(-step) { if let message = queue.popFirst() { popped.append(message.first ?? 255) } }
            }
        }
        XCTAssertTrue(queue.isEmpty)
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(popped, expected)
        XCTAssertNil(queue.popFirst())
    }
}
