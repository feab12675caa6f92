import Glibc
import XCTest
@testable import RPC

/// HTTP/2 rapid reset (CVE-2023-44487) and the glitch budget: streams the client resets while
/// they are served are glitches; a connection past its budget is ended with
/// GOAWAY(ENHANCE_YOUR_CALM), an occasional cancel is not, and a reset call's handler is
/// cancelled. Counts only, no timing.
final class RapidResetTests: XCTestCase {
    private func startServer(_ adjust: (inout RPCServer.Configuration) -> Void = { _ in },
                             probe: CancellationProbe = CancellationProbe()) throws -> RPCServer {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(2)
        adjust(&configuration)
        let server = RPCServer(configuration: configuration, services: [RawEchoService(probe: probe)])
        try server.start()
        return server
    }

    /// A gRPC request's header block: literal, never-indexed fields, so each block stands alone.
    private static func requestBlock(_ path: String) -> [UInt8] {
        func literal(_ name: String, _ value: String) -> [UInt8] {
            [0x10, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return literal(":method", "POST") + literal(":scheme", "http") + literal(":path", path)
            + literal(":authority", "x") + literal("content-type", "application/grpc") + literal("te", "trailers")
    }

    private static func headers(_ stream: UInt32, _ path: String = "/test.Echo/Echo", endStream: Bool = false) -> [UInt8] {
        RawHTTP2Client.frame(type: 1, flags: endStream ? 0x5 : 0x4, streamID: stream, payload: requestBlock(path))
    }

    private static func reset(_ stream: UInt32) -> [UInt8] {
        RawHTTP2Client.frame(type: 3, flags: 0, streamID: stream, payload: [0, 0, 0, 8])  // CANCEL
    }

    private static func emptyMessage(_ stream: UInt32) -> [UInt8] {
        RawHTTP2Client.frame(type: 0, flags: 0x1, streamID: stream, payload: [0, 0, 0, 0, 0])
    }

    func testRapidResetEndsTheConnectionWithEnhanceYourCalm() throws {
        let server = try startServer { $0.maxGlitchesPerConnection = 50 }
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        var abuse: [UInt8] = []
        for index in 0..<400 {
            let stream = UInt32(1 + 2 * index)
            abuse += Self.headers(stream) + Self.reset(stream)
        }
        try client.send(abuse)
        XCTAssertTrue(client.readUntilClosed(seconds: 10), "the server must close a rapid-reset connection")
        XCTAssertEqual(client.goawayErrorCode(), 11, "GOAWAY(ENHANCE_YOUR_CALM) expected")
        let answered = client.frames().filter { $0.type == 1 }.count
        XCTAssertEqual(answered, 0, "streams reset before they were served get no response")
    }

    func testOccasionalCancelsKeepTheConnection() throws {
        let server = try startServer { $0.maxGlitchesPerConnection = 50 }
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        var cancels: [UInt8] = []
        for index in 0..<20 {
            let stream = UInt32(1 + 2 * index)
            cancels += Self.headers(stream) + Self.reset(stream)
        }
        try client.send(cancels)
        try client.send(Self.headers(41) + Self.emptyMessage(41))
        XCTAssertFalse(client.readUntilClosed(seconds: 2), "20 cancels are within the budget of 50")
        XCTAssertNil(client.goawayErrorCode())
        XCTAssertTrue(client.frames().contains { $0.type == 1 && $0.streamID == 41 }, "the call after the cancels is answered")
    }

    func testCancellingCallsThatRanAWhileIsNoGlitch() throws {
        let probe = CancellationProbe()
        let server = try startServer({ $0.maxGlitchesPerConnection = 5 }, probe: probe)
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        // Twenty calls that have run past a second, cancelled together (a shared connection
        // whose callers all give up at once): far past a budget of 5 if they counted.
        let streams = (0..<20).map { UInt32(1 + 2 * $0) }
        for stream in streams { try client.send(Self.headers(stream, "/test.Echo/Sleep") + Self.emptyMessage(stream)) }
        _ = client.readUntilClosed(seconds: 2)
        var resets: [UInt8] = []
        for stream in streams { resets += Self.reset(stream) }
        try client.send(resets + Self.headers(41) + Self.emptyMessage(41))
        XCTAssertFalse(client.readUntilClosed(seconds: 2), "cancelling calls that ran a while is not abuse")
        XCTAssertNil(client.goawayErrorCode())
        XCTAssertTrue(client.frames().contains { $0.type == 1 && $0.streamID == 41 }, "the connection still serves")
        XCTAssertEqual(probe.cancelled.load(ordering: .relaxed), streams.count, "every cancelled handler stopped")
    }

    func testEmptyDataAndPriorityFloodsEndTheConnection() throws {
        let server = try startServer { $0.maxGlitchesPerConnection = 50 }
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        // A client-streaming call left open, then DATA frames of zero length without END_STREAM
        // and PRIORITY frames (stream 3 depends on 0, weight 16): nothing a gRPC server needs.
        var flood = Self.headers(1, "/test.Echo/Concat")
        for _ in 0..<40 { flood += RawHTTP2Client.frame(type: 0, flags: 0, streamID: 1, payload: []) }
        for _ in 0..<40 { flood += RawHTTP2Client.frame(type: 2, flags: 0, streamID: 3, payload: [0, 0, 0, 0, 15]) }
        try client.send(flood)
        XCTAssertTrue(client.readUntilClosed(seconds: 10), "80 empty frames exceed a budget of 50")
        XCTAssertEqual(client.goawayErrorCode(), 11)
    }

    func testResetCallsHaveTheirHandlersCancelled() throws {
        let probe = CancellationProbe()
        let server = try startServer(probe: probe)
        defer { server.shutdown() }
        let client = try RawHTTP2Client(port: server.port)
        let streams = (0..<10).map { UInt32(1 + 2 * $0) }
        for stream in streams { try client.send(Self.headers(stream, "/test.Echo/Sleep") + Self.emptyMessage(stream)) }
        // The handlers sleep 20 s; resetting their streams must cancel every one of them. The
        // resets go out once the server has read the requests (its SETTINGS ACK follows them).
        _ = client.readUntilClosed(seconds: 1)
        for stream in streams { try client.send(Self.reset(stream)) }
        for _ in 0..<500 where probe.cancelled.load(ordering: .relaxed) < streams.count { usleep(10_000) }
        XCTAssertEqual(probe.cancelled.load(ordering: .relaxed), streams.count, "every reset call's handler cancelled")
    }
}
