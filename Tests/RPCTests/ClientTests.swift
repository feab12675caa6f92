import XCTest
@testable import RPC

/// Our client against our server over loopback: every call kind, metadata, deadlines,
/// cancellation, and what happens without a server.
final class ClientTests: XCTestCase {
    private var server: RPCServer!
    private var probe = CancellationProbe()
    private var channel: RPCChannel!

    override func setUpWithError() throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        probe = CancellationProbe()
        server = RPCServer(configuration: configuration, services: [RawEchoService(probe: probe)])
        try server.start()
        channel = RPCChannel(host: "127.0.0.1", port: server.port)
    }

    override func tearDown() {
        channel.close()
        server.shutdown()
    }

    private func raw(_ text: String) -> RawMessage { RawMessage(Array(text.utf8)) }
    private func text(_ message: RawMessage) -> String { String(decoding: message.bytes, as: UTF8.self) }

    func testUnary() async throws {
        let response: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: raw("hi"))
        XCTAssertEqual(text(response), "hi")
    }

    func testErrorCarriesCodeAndMessage() async throws {
        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Fail", request: raw("x"))
            XCTFail("expected an error")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
            XCTAssertEqual(error.message, "nope ☺")
        }
    }

    func testMetadataBothWays() async throws {
        var options = CallOptions()
        options.metadata.add("x-initial", "hello")
        options.metadata.add("x-trailing-bin", binary: [0xAB, 0xAB, 0xAB])
        let response: UnaryResponse<RawMessage> = try await channel.unaryCall(
            path: "/test.Echo/Metadata", request: raw("m"), options: options)
        XCTAssertEqual(response.initialMetadata["x-initial"], "hello")
        XCTAssertEqual(response.trailingMetadata.binary("x-trailing-bin"), [0xAB, 0xAB, 0xAB])
    }

    func testServerStreaming() async throws {
        let call: ServerStreamingCall<RawMessage> = channel.serverStreaming(path: "/test.Echo/Repeat", request: raw("ab"))
        var received: [String] = []
        for try await message in call { received.append(text(message)) }
        XCTAssertEqual(received, ["ab", "ab", "ab"])
    }

    func testClientStreaming() async throws {
        let call: ClientStreamingCall<RawMessage, RawMessage> = channel.clientStreaming(path: "/test.Echo/Concat")
        for part in ["a", "b", "c"] { try await call.send(raw(part)) }
        let response = try await call.finish()
        XCTAssertEqual(text(response), "abc")
    }

    func testLargeClientStreamPassesThroughFlowControl() async throws {
        let call: ClientStreamingCall<RawMessage, RawMessage> = channel.clientStreaming(path: "/test.Echo/Count")
        let chunk = RawMessage([UInt8](repeating: 7, count: 64 * 1024))
        for _ in 0..<128 { try await call.send(chunk) }  // 8 MiB, far above both windows
        let response = try await call.finish()
        XCTAssertEqual(text(response), String(128 * 64 * 1024))
    }

    func testBidiPingPong() async throws {
        let call: BidiStreamingCall<RawMessage, RawMessage> = channel.bidiStreaming(path: "/test.Echo/Ping")
        var iterator = call.responses.makeAsyncIterator()
        for round in 0..<5 {
            try await call.send(raw("p\(round)"))
            let answer = try await iterator.next()
            XCTAssertEqual(answer.map(text), "p\(round)")
        }
        call.closeSend()
        let end = try await iterator.next()
        XCTAssertNil(end)
    }

    func testDeadlineReachesTheHandlerAsCancellation() async throws {
        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Sleep", request: raw("z"),
                                                        options: CallOptions(timeout: .milliseconds(200)))
            XCTFail("expected DEADLINE_EXCEEDED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        try await waitUntil { self.probe.cancelled.load(ordering: .relaxed) == 1 }
    }

    func testClientCancelReachesTheHandler() async throws {
        let channel = self.channel!
        let task = Task {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Sleep", request: RawMessage([1]))
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        do {
            try await task.value
            XCTFail("expected cancellation")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .cancelled)
        }
        try await waitUntil { self.probe.cancelled.load(ordering: .relaxed) == 1 }
    }

    func testUnknownMethod() async throws {
        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Missing", request: raw("x"))
            XCTFail("expected UNIMPLEMENTED")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unimplemented)
        }
    }

    func testNoServerIsUnavailableAndReconnectWorks() async throws {
        let port = server.port
        server.shutdown()
        let lonely = RPCChannel(host: "127.0.0.1", port: port)
        defer { lonely.close() }
        do {
            let _: RawMessage = try await lonely.unary(path: "/test.Echo/Echo", request: raw("x"))
            XCTFail("expected UNAVAILABLE")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
        }
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: port, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        server = RPCServer(configuration: configuration, services: [RawEchoService(probe: probe)])
        try server.start()
        let response: RawMessage = try await lonely.unary(
            path: "/test.Echo/Echo", request: raw("back"), options: CallOptions(timeout: .seconds(10), waitForReady: true))
        XCTAssertEqual(text(response), "back")
    }

    func testManyConcurrentCallsOnOneConnection() async throws {
        let channel = self.channel!
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<300 {
                group.addTask {
                    let response: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage(Array("\(index)".utf8)))
                    return response.bytes == Array("\(index)".utf8)
                }
            }
            for try await matched in group { XCTAssertTrue(matched) }
        }
    }

    /// Polls a condition that another thread makes true; bounded, so a bug fails instead of hanging.
    private func waitUntil(_ condition: @escaping () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
        XCTAssertTrue(condition())
    }
}
