import RPC
import XCTest
@testable import ServiceKit

/// The public HTTP/1.1 listener over real sockets: keep-alive, chunked streaming responses,
/// the request timer (slowloris) and the per-address connection cap.
final class PublicHTTPListenerTests: XCTestCase {
    private var listener: PublicHTTPListener!

    override func setUpWithError() throws {
        try start(requestTimeout: .milliseconds(300))
    }

    private func start(requestTimeout: Duration, peerBurst: Int = 500) throws {
        var configuration = PublicHTTPListener.Configuration(host: "127.0.0.1", port: 0)
        configuration.requestTimeout = requestTimeout
        configuration.peerRates.burst = peerBurst
        configuration.peerRates.perSecond = 1
        configuration.maxConnectionsPerPeer = 3
        configuration.maxBodyBytes = 64
        listener = PublicHTTPListener(configuration: configuration) { request, responder in
            switch request.path {
            case "/stream":
                do {
                    try await responder.startStream(PlainHTTPResponseHead(status: 200, headers: [("content-type", "text/plain")]))
                    try await responder.send(Array("a".utf8))
                    try await responder.send(Array("bc".utf8))
                } catch {}
            default:
                let text = request.method + " " + request.target + " " + String(decoding: request.body, as: UTF8.self)
                await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "text/plain")]),
                                        body: Array(text.utf8))
            }
        }
        try listener.start()
    }

    override func tearDown() {
        stop()
    }

    private func stop() {
        let listener = self.listener!
        let done = expectation(description: "stopped")
        Task {
            await listener.stop()
            done.fulfill()
        }
        wait(for: [done], timeout: 30)
    }

    private func client() throws -> RawHTTPClient { try RawHTTPClient(port: listener.port) }

    func testKeepAliveAnswersRequestsInOrder() throws {
        let connection = try client()
        connection.send("POST /a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}GET /b HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(connection.readResponse()?.body, "POST /a?x=1 {}")
        XCTAssertEqual(connection.readResponse()?.body, "GET /b ")
        connection.send("GET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
        let last = try XCTUnwrap(connection.readResponse())
        XCTAssertEqual(last.headers["connection"], "close")
        XCTAssertTrue(connection.readsEndOfStream())
    }

    func testStreamsAreChunked() throws {
        let connection = try client()
        connection.send("GET /stream HTTP/1.1\r\nConnection: close\r\n\r\n")
        let text = connection.readToEnd()
        XCTAssertTrue(text.contains("transfer-encoding: chunked\r\n"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n"), text)
    }

    func testBodiesOverTheLimitAndSilentClientsAreCut() throws {
        let big = try client()
        big.send("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n")
        XCTAssertEqual(big.readResponse()?.status, 413)
        let silent = try client()
        silent.send("GET / HTTP/1.1\r\nHost:")
        XCTAssertTrue(silent.readsEndOfStream(), "a client that never completes its request is closed")
    }

    func testConnectionsPerAddressAreCapped() throws {
        // Idle connections must not time out while the test holds them.
        stop()
        try start(requestTimeout: .seconds(60))
        let held = try (0..<3).map { _ in try client() }
        for connection in held { connection.send("GET /held HTTP/1.1\r\n\r\n") }
        for connection in held { XCTAssertEqual(connection.readResponse()?.status, 200) }
        let fourth = try client()
        fourth.send("GET /x HTTP/1.1\r\n\r\n")
        XCTAssertNil(fourth.readResponse(), "closed at accept: no answer")
        XCTAssertEqual(listener.connectionRefusals[.peerLimit], 1)
    }

    /// The per-address connection rate (PeerConnectionRates, as on the gRPC port): past the
    /// burst a new connection is closed at accept and counted, whether or not the earlier ones
    /// are still open.
    func testConnectionsFasterThanTheAddressRateAreClosedAtAccept() throws {
        stop()
        try start(requestTimeout: .seconds(60), peerBurst: 2)
        for _ in 0..<2 {
            let connection = try client()
            connection.send("GET /a HTTP/1.1\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(connection.readResponse()?.status, 200)
        }
        let third = try client()
        third.send("GET /x HTTP/1.1\r\n\r\n")
        XCTAssertNil(third.readResponse(), "closed at accept: no answer")
        XCTAssertEqual(listener.connectionRefusals[.peerRate], 1)
        XCTAssertEqual(listener.connectionRefusals.total, 1)
    }
}
