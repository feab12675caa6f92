import XCTest
@testable import RPC

/// A front server that forwards every unknown path to a backend, as the gateway does.
final class ProxyTests: XCTestCase {
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
        let proxy = RPCProxy(channel: backendChannel) { metadata, _ in
            var forwarded = metadata
            forwarded.removeAll(named: "x-secret")
            if let initial = metadata["x-initial"] {
                forwarded.removeAll(named: "x-initial")
                forwarded.add("x-initial", initial + " via proxy")
            }
            return forwarded
        }
        var frontConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        frontConfiguration.handlesTerminationSignals = false
        frontConfiguration.shutdownGracePeriod = .seconds(1)
        frontConfiguration.fallback = { path in path.hasPrefix("/test.Echo/") ? proxy.method(forwarding: path) : nil }
        front = RPCServer(configuration: frontConfiguration, services: [])
        try front.start()
        client = RPCChannel(host: "127.0.0.1", port: front.port)
    }

    override func tearDown() {
        client.close()
        backendChannel.close()
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
