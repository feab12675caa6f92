@testable import HTTP2
import NetIO
@testable import RPC
import XCTest

/// `ServerContext.requestText` and `requestSingleBinary` read one entry from the headers in
/// place (no decoding of all the metadata per call): they must answer what the decoded
/// metadata answers, before and after something decoded it.
final class RequestLookupTests: XCTestCase {
    private func block(_ fields: [(String, String)]) -> HTTP2HeaderBlock {
        var block = HTTP2HeaderBlock()
        for (name, value) in fields {
            let n = Array(name.utf8), v = Array(value.utf8)
            n.withUnsafeBufferPointer { n in v.withUnsafeBufferPointer { v in block.append(name: n, value: v) } }
        }
        return block
    }

    private func context(_ fields: [(String, String)]) throws -> ServerContext {
        ServerContext(path: "/p.S/M", requestHeaders: block(fields), deadline: nil, peer: "test",
                      loop: try EventLoop(name: "lookup-test"), connectionValues: ConnectionValues())
    }

    private let cases: [[(String, String)]] = [
        [],
        [(":path", "/p.S/M"), ("content-type", "application/grpc"), ("te", "trailers")],
        [("idempotency-key", "k-1"), ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")],
        [("idempotency-key", "first"), ("idempotency-key", "second")],
        [("x-xsc-actor-bin", "QUJD"), ("x-xsc-actor-sig-bin", "REVG")],
        [("x-xsc-actor-bin", "QUJD"), ("x-xsc-actor-bin", "QUJD")],
        [("x-xsc-actor-bin", "QUJD,REVG")],
        [("x-xsc-actor-bin", " QUJDRA==")],
        [("x-xsc-actor-bin", "")],
        // Reserved fields are not metadata, whatever they are asked as.
        [("grpc-timeout", "1S"), ("grpc-status-details-bin", "QUJD"), ("content-type", "application/grpc")],
    ]

    private let names = ["idempotency-key", "traceparent", "tracestate", "x-xsc-actor-bin", "x-xsc-actor-sig-bin",
                         "grpc-timeout", "grpc-status-details-bin", "content-type", "te", ":path", "missing"]

    private func describe(_ value: SingleMetadataValue<[UInt8]>) -> String {
        switch value {
        case .absent: "absent"
        case .one(let bytes): "one \(bytes)"
        case .several: "several"
        }
    }

    /// What the full decode says `requestSingleBinary` should answer.
    private func expectedBinary(_ metadata: Metadata, _ name: String) -> String {
        guard name.hasSuffix("-bin") else { return "absent" }
        let values = metadata.values(name)
        switch values.count {
        case 0: return "absent"
        case 1: if case .binary(let bytes) = values[0] { return "one \(bytes)" } else { return "several" }
        default: return "several"
        }
    }

    func testInPlaceLookupsAgreeWithDecodedMetadata() throws {
        for fields in cases {
            let decoded = try MetadataCodec.metadata(from: block(fields))
            let inPlace = try context(fields)
            for name in names {
                XCTAssertEqual(inPlace.requestText(name), decoded[name], "\(fields) \(name)")
                XCTAssertEqual(describe(inPlace.requestSingleBinary(name)), expectedBinary(decoded, name), "\(fields) \(name)")
            }
            // Once decoded, the answers come from the decoded metadata: still the same.
            let afterDecode = try context(fields)
            _ = afterDecode.requestMetadata
            for name in names {
                XCTAssertEqual(afterDecode.requestText(name), decoded[name], "\(fields) \(name), decoded first")
                XCTAssertEqual(describe(afterDecode.requestSingleBinary(name)), expectedBinary(decoded, name),
                               "\(fields) \(name), decoded first")
            }
        }
    }

    func testConnectionValuesAreMadeOnceAndKept() {
        enum Counter: ServerContextKey { typealias Value = Int }
        let values = ConnectionValues()
        var made = 0
        XCTAssertEqual(values.value(Counter.self) { made += 1; return 7 }, 7)
        XCTAssertEqual(values.value(Counter.self) { made += 1; return 8 }, 7)
        XCTAssertEqual(made, 1)
    }
}
