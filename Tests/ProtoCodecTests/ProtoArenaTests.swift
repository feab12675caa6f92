import ProtoCodec
import XCTest

final class ProtoArenaTests: XCTestCase {
    func testAllocationsAreAlignedAndDistinct() {
        let arena = ProtoArena()
        let a = arena.allocate(byteCount: 3)
        let b = arena.allocate(byteCount: 1)
        XCTAssertEqual(Int(bitPattern: a) % 8, 0)
        XCTAssertEqual(Int(bitPattern: b) % 8, 0)
        XCTAssertGreaterThanOrEqual(b - a, 8)
    }

    func testGrowsPastTheFirstChunkAndKeepsOnlyTheLargestOnReset() {
        let arena = ProtoArena()
        XCTAssertEqual(arena.capacity, ProtoArena.initialChunkSize)
        for _ in 0..<10 { _ = arena.allocate(byteCount: 3000) }
        XCTAssertGreaterThan(arena.capacity, 2 * ProtoArena.initialChunkSize)
        arena.reset()
        let kept = arena.capacity
        XCTAssertGreaterThan(kept, ProtoArena.initialChunkSize, "the largest chunk stays")
        // The kept chunk serves the same workload again without growing.
        for _ in 0..<(kept / 3008) { _ = arena.allocate(byteCount: 3000) }
        XCTAssertEqual(arena.capacity, kept)
    }

    func testHugeChunksAreNotRetained() {
        let arena = ProtoArena()
        _ = arena.allocate(byteCount: ProtoArena.retainLimit * 2)
        arena.reset()
        XCTAssertEqual(arena.capacity, ProtoArena.initialChunkSize)
    }

    func testReleaseToMarkReusesTheSameMemory() {
        let arena = ProtoArena()
        _ = arena.allocate(byteCount: 16)
        let mark = arena.mark()
        let first = arena.allocate(byteCount: 64)
        arena.release(to: mark)
        let second = arena.allocate(byteCount: 64)
        XCTAssertEqual(first, second)
    }

    func testReleaseAcrossChunksRestoresTheEarlierChunk() {
        let arena = ProtoArena()
        _ = arena.allocate(byteCount: 16)
        let mark = arena.mark()
        let sameChunk = arena.allocate(byteCount: 16)
        _ = arena.allocate(byteCount: ProtoArena.initialChunkSize * 3)
        arena.release(to: mark)
        XCTAssertEqual(arena.allocate(byteCount: 16), sameChunk)
    }

    func testCStringIsNulTerminatedCopy() {
        let arena = ProtoArena()
        let text = "上海 road"
        let copy = arena.cString(text)
        XCTAssertEqual(String(cString: copy), text)
        XCTAssertEqual(String(cString: arena.cString("")), "")
    }
}
