import Glibc
import XCTest
@testable import RPC

/// Keepalive, ping abuse, the glitch limit and graceful shutdown, seen from the wire.
final class ConnectionPolicyTests: XCTestCase {
    private func startServer(_ adjust: (inout RPCServer.Configuration) -> Void = { _ in }) throws -> RPCServer {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(2)
        adjust(&configuration)
        let server = RPCServer(configuration: configuration, services: [RawEchoService()])
        try server.start()
        return server
    }

    func testIdleClientIsPingedAndClosedWhenItNeverAnswers() throws {
        let server = try startServer {
            $0.keepalive.pingAfterIdle = .milliseconds(100)
            $0.keepalive.pingTimeout = .milliseconds(100)
        }
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        // The raw client never acknowledges anything, the server's ping included.
        XCTAssertTrue(client.readUntilClosed(seconds: 10), "the server should close a peer that ignores its ping")
        XCTAssertTrue(client.frames().contains { $0.type == 6 && $0.flags & 1 == 0 }, "expected a PING from the server")
    }

    func testPingFloodWithoutCallsGetsEnhanceYourCalm() throws {
        let server = try startServer()
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        // The server may close before the last pings are written (it reads no more from an
        // abusive connection): a failed send ends the flood, the GOAWAY is still there to read.
        for opaque in 0..<5 {
            do { try client.ping(UInt8(opaque)) } catch { break }
        }
        XCTAssertTrue(client.readUntilClosed(seconds: 10))
        XCTAssertEqual(client.goawayErrorCode(), 11, "GOAWAY(ENHANCE_YOUR_CALM) expected")
    }

    func testTooManyMalformedRequestsEndTheConnection() throws {
        let server = try startServer { $0.maxGlitchesPerConnection = 5 }
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        // HEADERS with a literal, never-indexed `:method GET` etc.: a gRPC server refuses each.
        func literal(_ name: String, _ value: String) -> [UInt8] {
            [0x10, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        let block = literal(":method", "GET") + literal(":scheme", "http") + literal(":path", "/test.Echo/Echo")
            + literal(":authority", "x") + literal("content-type", "text/plain")
        for stream in stride(from: 1, through: 21, by: 2) {
            // As above: the server may have closed before the last frames go out.
            do { try client.send(RawHTTP2Client.frame(type: 1, flags: 0x5, streamID: UInt32(stream), payload: block)) } catch { break }
        }
        XCTAssertTrue(client.readUntilClosed(seconds: 10), "frames: \(client.frames().map { ($0.type, $0.streamID) })")
        XCTAssertEqual(client.goawayErrorCode(), 11)
    }

    func testGracefulShutdownLetsInFlightCallsFinish() async throws {
        let server = try startServer()
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        // A slow call: client streaming that we keep open across the shutdown.
        let call: ClientStreamingCall<RawMessage, RawMessage> = channel.clientStreaming(path: "/test.Echo/Concat")
        try await call.send(RawMessage(Array("before".utf8)))
        let shutdown = Task.detached { server.shutdown() }
        try await Task.sleep(for: .milliseconds(300))
        try await call.send(RawMessage(Array("-after".utf8)))
        let response = try await call.finish()
        XCTAssertEqual(String(decoding: response.bytes, as: UTF8.self), "before-after")
        await shutdown.value
        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage())
            XCTFail("a new call after shutdown must fail")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
        }
    }
}
