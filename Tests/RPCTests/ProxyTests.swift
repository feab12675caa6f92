import XCTest
import ProtoCodec
@testable import RPC

/// A front server that forwards every unknown path to a backend, as the gateway does.
class ProxyTests: XCTestCase {
    /// Forward on channels bound to the front server's loops (the gateway's way), which takes
    /// the on-loop path for calls whose requests are all in.
    class var loopBound: Bool { false }
    private var loopChannels: LoopBoundChannels?

    private var backend: RPCServer!
    private var front: RPCServer!
    private var backendChannel: RPCChannel!
    private var client: RPCChannel!
    private let probe = CancellationProbe()

    override func setUpWithError() throws {
        var backendConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        backendConfiguration.handlesTerminationSignals = false
        backendConfiguration.shutdownGracePeriod = .seconds(1)
        backend = RPCServer(configuration: backendConfiguration, services: [RawEchoService(probe: probe)])
        try backend.start()
        backendChannel = RPCChannel(host: "127.0.0.1", port: backend.port)
        let transform: RPCProxy.MetadataTransform = { metadata, _ in
            var forwarded = metadata
            forwarded.removeAll(named: "x-secret")
            if let initial = metadata["x-initial"] {
                forwarded.removeAll(named: "x-initial")
                forwarded.add("x-initial", initial + " via proxy")
            }
            return forwarded
        }
        let proxy = RPCProxy(channel: backendChannel, transform: transform)
        var frontConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        frontConfiguration.handlesTerminationSignals = false
        frontConfiguration.shutdownGracePeriod = .seconds(1)
        frontConfiguration.fallback = { path in path.hasPrefix("/test.Echo/") ? proxy.method(forwarding: path) : nil }
        if Self.loopBound {
            let channels = LoopBoundChannels(host: "127.0.0.1", port: backend.port)
            loopChannels = channels
            frontConfiguration.fallback = { path in
                guard path.hasPrefix("/test.Echo/") else { return nil }
                return .bidiStreaming(path) { (requests: RequestStream<OpaqueMessage>, responses: ResponseStreamWriter<OpaqueMessage>,
                                               context: ServerContext) in
                    var options = CallOptions(metadata: try transform(context.requestMetadata, context))
                    options.timeout = context.timeRemaining
                    try await RPCProxy.forward(path: path, channel: channels.channel(for: context), options: options,
                                               requests: requests, responses: responses, context: context)
                }
            }
        }
        front = RPCServer(configuration: frontConfiguration, services: [])
        try front.start()
        client = RPCChannel(host: "127.0.0.1", port: front.port)
    }

    override func tearDown() {
        client.close()
        backendChannel.close()
        loopChannels?.close()
        front.shutdown()
        backend.shutdown()
    }

    private func raw(_ text: String) -> RawMessage { RawMessage(Array(text.utf8)) }
    private func text(_ message: RawMessage) -> String { String(decoding: message.bytes, as: UTF8.self) }

    func testUnaryAndMetadataPassThrough() async throws {
        var options = CallOptions()
        options.metadata.add("x-initial", "hello")
        options.metadata.add("x-trailing-bin", binary: [1, 2, 3])
        let response: UnaryResponse<RawMessage> = try await client.unaryCall(path: "/test.Echo/Metadata", request: raw("m"), options: options)
        XCTAssertEqual(text(response.message), "m")
        XCTAssertEqual(response.initialMetadata["x-initial"], "hello via proxy")
        XCTAssertEqual(response.trailingMetadata.binary("x-trailing-bin"), [1, 2, 3])
    }

    func testErrorStatusPassesThrough() async throws {
        do {
            let _: RawMessage = try await client.unary(path: "/test.Echo/Fail", request: raw("x"))
            XCTFail("expected an error")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
            XCTAssertEqual(error.message, "nope ☺")
        }
    }

    func testUnknownPathOutsideTheRouteIsUnimplemented() async throws {
        do {
            let _: RawMessage = try await client.unary(path: "/other.Service/Call", request: raw("x"))
            XCTFail("expected UNIMPLEMENTED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unimplemented)
        }
    }

    func testStreamingKindsPassThrough() async throws {
        let serverStream: ServerStreamingCall<RawMessage> = client.serverStreaming(path: "/test.Echo/Repeat", request: raw("ab"))
        var repeated: [String] = []
        for try await message in serverStream { repeated.append(text(message)) }
        XCTAssertEqual(repeated, ["ab", "ab", "ab"])

        let clientStream: ClientStreamingCall<RawMessage, RawMessage> = client.clientStreaming(path: "/test.Echo/Concat")
        for part in ["a", "b", "c"] { try await clientStream.send(raw(part)) }
        let concatenated = try await clientStream.finish()
        XCTAssertEqual(text(concatenated), "abc")

        let bidi: BidiStreamingCall<RawMessage, RawMessage> = client.bidiStreaming(path: "/test.Echo/Ping")
        var iterator = bidi.responses.makeAsyncIterator()
        for round in 0..<3 {
            try await bidi.send(raw("p\(round)"))
            let echoed = try await iterator.next()
            XCTAssertEqual(echoed.map(text), "p\(round)")
        }
        bidi.closeSend()
        let end = try await iterator.next()
        XCTAssertNil(end)
    }

    func testDeadlinePropagatesAndCancelsTheBackendHandler() async throws {
        do {
            let _: RawMessage = try await client.unary(path: "/test.Echo/Sleep", request: raw("z"),
                                                       options: CallOptions(timeout: .milliseconds(300)))
            XCTFail("expected DEADLINE_EXCEEDED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        for _ in 0..<200 where probe.cancelled.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(25)) }
        XCTAssertEqual(probe.cancelled.load(ordering: .relaxed), 1)
    }
}

/// The same cases through channels bound to the front server's own loop (as the gateway runs).
final class LoopBoundProxyTests: ProxyTests {
    override class var loopBound: Bool { true }

    // Test discovery on Linux lists only the methods a class declares itself.
    override func testUnaryAndMetadataPassThrough() async throws { try await super.testUnaryAndMetadataPassThrough() }
    override func testErrorStatusPassesThrough() async throws { try await super.testErrorStatusPassesThrough() }
    override func testUnknownPathOutsideTheRouteIsUnimplemented() async throws {
        try await super.testUnknownPathOutsideTheRouteIsUnimplemented()
    }
    override func testStreamingKindsPassThrough() async throws { try await super.testStreamingKindsPassThrough() }
    override func testDeadlinePropagatesAndCancelsTheBackendHandler() async throws {
        try await super.testDeadlinePropagatesAndCancelsTheBackendHandler()
    }
}
