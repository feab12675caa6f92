import Messages
import ProtoCodec
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Not a test: prints encode/decode cost of the benchmark's bench.v1.Order when
/// XSC_CODEC_BENCH=1 (scripts/codec-bench.sh runs it in release). Asserts only correctness.
final class CodecBenchmark: XCTestCase {
    func testEchoOrderCodecCost() throws {
        guard getenv("XSC_CODEC_BENCH") != nil else { throw XCTSkip("set XSC_CODEC_BENCH=1 (scripts/codec-bench.sh)") }
        let request = PythonFixtures.echoRequest
        let arena = ProtoArena()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        let iterations = 300_000

        func nanosPerIteration(_ body: () throws -> Void) rethrows -> Double {
            var start = timespec()
            var end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            for _ in 0..<iterations { try body() }
            clock_gettime(CLOCK_MONOTONIC, &end)
            let nanos = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
            return nanos / Double(iterations)
        }

        let order = try request.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) }
        for _ in 0..<10_000 {  // warm-up: arena chunk sizes and caches settle
            buffer.removeAll(keepingCapacity: true)
            order.encode(appendingTo: &buffer, arena: arena)
        }
        let decode = try nanosPerIteration {
            let decoded = try request.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) }
            if decoded.items.isEmpty { XCTFail("decoded nothing") }
        }
        let encode = nanosPerIteration {
            buffer.removeAll(keepingCapacity: true)
            order.encode(appendingTo: &buffer, arena: arena)
        }
        let both = try nanosPerIteration {
            let decoded = try request.withUnsafeBytes { try Bench_V1_Order.decode($0, arena: arena) }
            buffer.removeAll(keepingCapacity: true)
            decoded.encode(appendingTo: &buffer, arena: arena)
        }
        XCTAssertEqual(buffer, request)
        print(String(format: "bench.v1.Order (%d bytes): decode %.0f ns, encode %.0f ns, decode+encode %.0f ns per message",
                     request.count, decode, encode, both))
    }
}
