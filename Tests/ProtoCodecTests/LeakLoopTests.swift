import Messages
import ProtoCodec
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Encode/decode loops over every feature. Run under valgrind by scripts/leak-check.sh (with
/// XSC_LEAK_LOOP_ITERATIONS raised); as a plain test it is a short smoke run.
final class LeakLoopTests: XCTestCase {
    func testEncodeDecodeLoop() throws {
        let iterations = Int(getenv("XSC_LEAK_LOOP_ITERATIONS").flatMap { String(cString: $0) }.flatMap { Int($0) } ?? 20)
        let arena = ProtoArena()
        var buffer: [UInt8] = []
        for _ in 0..<iterations {
            for sample in [Samples.everything(), Samples.maps()] {
                buffer.removeAll(keepingCapacity: true)
                sample.encode(appendingTo: &buffer, arena: arena)
                XCTAssertEqual(try buffer.withUnsafeBytes { try Xsc_Codectest_V1_Everything.decode($0, arena: arena) }, sample)
            }
            buffer.removeAll(keepingCapacity: true)
            Samples.tree().encode(appendingTo: &buffer, arena: arena)
            XCTAssertEqual(try buffer.withUnsafeBytes { try Xsc_Codectest_V1_TreeNode.decode($0, arena: arena) }, Samples.tree())
            buffer.removeAll(keepingCapacity: true)
            Samples.order().encode(appendingTo: &buffer, arena: arena)
            XCTAssertEqual(try buffer.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) }, Samples.order())
            let bad: [UInt8] = [0x32, 0x04, 0x0A, 0x09, 0x41, 0x42]
            XCTAssertThrowsError(try bad.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) })
        }
        if getenv("XSC_LEAK_CHECK_SELFTEST") != nil {
            // scripts/leak-check.sh proves valgrind catches a leak with this.
            _ = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 8)
        }
        // Arenas created and dropped (the convenience API) must free their chunks too.
        for _ in 0..<iterations {
            XCTAssertEqual(try Bench_V1_Order(serializedBytes: Samples.order().serializedBytes()), Samples.order())
        }
    }
}
