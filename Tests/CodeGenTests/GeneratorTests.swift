@testable import CodeGen
import XCTest

final class GeneratorTests: XCTestCase {
    private func generator(_ files: [String], clients: Bool = true) throws -> Generator {
        try Generator(descriptorSet: DescriptorFixture.descriptorSet(files), emitClients: clients)
    }

    private func contents(_ files: [GeneratedFile], _ path: String) throws -> String {
        try XCTUnwrap(files.first { $0.path == path }?.contents, "no \(path) in \(files.map(\.path))")
    }

    func testBenchMessageSnippets() throws {
        let text = try contents(generator(["bench/v1/bench.proto"]).messageFiles(), "bench_v1_bench.pb.swift")
        XCTAssertTrue(text.contains("public struct Bench_V1_Order: ProtoMessage {"))
        XCTAssertTrue(text.contains("    public static let protoMessageName = \"bench.v1.Order\""))
        XCTAssertTrue(text.contains("    public var unitPriceCents: Int64 = 0"))
        XCTAssertTrue(text.contains("    public var items: [Bench_V1_Item] = []"))
        XCTAssertTrue(text.contains("        self.unitPriceCents = c.pointee.unit_price_cents"))
        XCTAssertTrue(text.contains("guard let c = bench__v1__order__unpack(arena.allocator, bytes.count, data) else {"))
        XCTAssertTrue(text.contains("if !self.id.isEmpty { c.pointee.id = arena.cString(self.id) }"))
    }

    func testBenchServiceSnippets() throws {
        let text = try contents(generator(["bench/v1/bench.proto"]).serviceFiles(), "bench_v1_bench.grpc.swift")
        XCTAssertTrue(text.contains("public protocol Bench_V1_BenchHandler: RPCServiceProvider {"))
        XCTAssertTrue(text.contains("    func echo(_ request: Bench_V1_Order, context: ServerContext) async throws -> Bench_V1_Order"))
        XCTAssertTrue(text.contains("RPCService(name: \"bench.v1.Bench\", methods: ["))
        XCTAssertTrue(text.contains(".unary(\"Echo\") { (request: Bench_V1_Order, context: ServerContext) async throws -> Bench_V1_Order in"))
        XCTAssertTrue(text.contains("public struct Bench_V1_BenchClient: Sendable {"))
        XCTAssertTrue(text.contains("    public static let serviceName = \"bench.v1.Bench\""))
        XCTAssertTrue(text.contains("        public static let echo = \"/bench.v1.Bench/Echo\""))
        XCTAssertTrue(text.contains("try await channel.unary(path: Paths.echo, request: request, options: options)"))
    }

    func testClientsCanBeLeftOut() throws {
        let text = try contents(generator(["bench/v1/bench.proto"], clients: false).serviceFiles(), "bench_v1_bench.grpc.swift")
        XCTAssertTrue(text.contains("Bench_V1_BenchHandler"))
        XCTAssertFalse(text.contains("Bench_V1_BenchClient"))
    }

    func testStreamingSignatures() throws {
        let text = try contents(generator(["grpc/testing/test.proto"]).serviceFiles(), "grpc_testing_test.grpc.swift")
        XCTAssertTrue(text.contains("func streamingOutputCall(_ request: Grpc_Testing_StreamingOutputCallRequest, responses: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext) async throws\n"))
        XCTAssertTrue(text.contains("func streamingInputCall(_ requests: RequestStream<Grpc_Testing_StreamingInputCallRequest>, context: ServerContext) async throws -> Grpc_Testing_StreamingInputCallResponse\n"))
        XCTAssertTrue(text.contains("func fullDuplexCall(_ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>, responses: ResponseStreamWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext) async throws\n"))
        XCTAssertTrue(text.contains("public func fullDuplexCall(options: CallOptions = CallOptions()) -> BidiStreamingCall<Grpc_Testing_StreamingOutputCallRequest, Grpc_Testing_StreamingOutputCallResponse> {"))
        XCTAssertTrue(text.contains("public func streamingInputCall(options: CallOptions = CallOptions()) -> ClientStreamingCall<Grpc_Testing_StreamingInputCallRequest, Grpc_Testing_StreamingInputCallResponse> {"))
    }

    func testFeatureSnippets() throws {
        let text = try contents(generator(["xsc/codectest/v1/features.proto"]).messageFiles(), "xsc_codectest_v1_features.pb.swift")
        XCTAssertTrue(text.contains("public var oInt32: Int32? = nil"))
        XCTAssertTrue(text.contains("if c.pointee._o_int32_case.rawValue != 0 { self.oInt32 = c.pointee.o_int32 }"))
        XCTAssertTrue(text.contains("public var choice: OneOf_Choice? = nil"))
        XCTAssertTrue(text.contains("public var mStringNested: [String: Xsc_Codectest_V1_Everything.Nested] = [:]"))
        XCTAssertTrue(text.contains("public var rUnpackedInt32: [Int32] = []"))
        XCTAssertTrue(text.contains("self.rInt32 = protoArray(c.pointee.r_int32, count: c.pointee.n_r_int32)"))
        XCTAssertTrue(text.contains("        case .red: return 1"))
        XCTAssertTrue(text.contains("case unrecognized(Int32)"))
        // Map entries are C-side only.
        XCTAssertFalse(text.contains("struct MStringNestedEntry"))
        // The descriptor of a nested type comes from an initialised struct (no unpack function).
        XCTAssertTrue(text.contains("xsc__codectest__v1__everything__nested__init(probe)"))
    }

    func testOnlyCycleClosingFieldsAreBoxed() throws {
        let registry = TypeRegistry(files: try DescriptorParser.parseSet(DescriptorFixture.descriptorSet(["xsc/codectest/v1/features.proto"])))
        XCTAssertTrue(registry.needsBox(container: "xsc.codectest.v1.TreeNode", target: ".xsc.codectest.v1.TreeNode"))
        XCTAssertFalse(registry.needsBox(container: "xsc.codectest.v1.Everything", target: ".xsc.codectest.v1.Everything.Nested"))
        let text = try contents(generator(["xsc/codectest/v1/features.proto"]).messageFiles(), "xsc_codectest_v1_features.pb.swift")
        XCTAssertTrue(text.contains("var _left: [Xsc_Codectest_V1_TreeNode] = []"))
        XCTAssertTrue(text.contains("indirect case parent(Xsc_Codectest_V1_TreeNode)"))
        XCTAssertTrue(text.contains("public var nested: Xsc_Codectest_V1_Everything.Nested? = nil"))
    }

    func testOutputIsDeterministic() throws {
        let files = try DescriptorFixture.allProtoFiles()
        let first = try generator(files)
        let second = try generator(files)
        XCTAssertEqual(try first.messageFiles(), try second.messageFiles())
        XCTAssertEqual(try first.serviceFiles(), try second.serviceFiles())
    }

    func testDescriptorTableListsSymbols() throws {
        let text = try contents(generator(["grpc/health/v1/health.proto"]).messageFiles(), "XSCProtoDescriptors.swift")
        XCTAssertTrue(text.contains("name: \"grpc/health/v1/health.proto\","))
        XCTAssertTrue(text.contains("services: [\"grpc.health.v1.Health\"],"))
        XCTAssertTrue(text.contains("\"grpc.health.v1.HealthCheckResponse.ServingStatus\""))
        XCTAssertTrue(text.contains("\"grpc.health.v1.Health.Watch\""))
    }
}
