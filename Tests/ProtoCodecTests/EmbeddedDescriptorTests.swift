import Messages
@testable import ProtoCodec
import XCTest

final class EmbeddedDescriptorTests: XCTestCase {
    func testEveryFileIsEmbeddedWithItsImports() throws {
        let names = Set(XSCProtoDescriptors.files.map(\.name))
        for expected in ["bench/v1/bench.proto", "grpc/testing/test.proto", "grpc/health/v1/health.proto",
                         "google/rpc/status.proto", "google/protobuf/any.proto"] {
            XCTAssertTrue(names.contains(expected), expected)
        }
        for file in XSCProtoDescriptors.files {
            for dependency in file.dependencies {
                XCTAssertTrue(names.contains(dependency), "\(file.name) imports missing \(dependency)")
            }
        }
    }

    func testDescriptorBytesStartWithTheFileName() throws {
        let test = try XCTUnwrap(XSCProtoDescriptors.files.first { $0.name == "grpc/testing/test.proto" })
        let bytes = test.serializedDescriptor
        // FileDescriptorProto field 1 (name): tag 0x0A, length, then the name.
        XCTAssertEqual(bytes[0], 0x0A)
        XCTAssertEqual(Array(bytes[2..<(2 + Int(bytes[1]))]), Array("grpc/testing/test.proto".utf8))
        XCTAssertEqual(test.services, ["grpc.testing.TestService", "grpc.testing.UnimplementedService", "grpc.testing.ReconnectService"])
        XCTAssertTrue(test.symbols.contains("grpc.testing.TestService.FullDuplexCall"))
    }

    func testNestedSymbolsAreListed() throws {
        let messages = try XCTUnwrap(XSCProtoDescriptors.files.first { $0.name == "grpc/testing/messages.proto" })
        XCTAssertTrue(messages.symbols.contains("grpc.testing.LoadBalancerStatsResponse.MetadataType"))
        XCTAssertTrue(messages.symbols.contains("grpc.testing.LoadBalancerStatsResponse.RpcsByPeer"))
    }

    func testBase64RoundTrips() {
        for count in 0..<8 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 200) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.decode(Base64.encode(bytes, padded: false)), bytes)
        }
        XCTAssertNil(Base64.decode("a$b="))
        XCTAssertEqual(Base64.encode(Array("hello".utf8)), "aGVsbG8=")
    }
}
