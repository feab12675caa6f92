import Synchronization
import XCTest
@testable import ServiceKit

final class AdminListenerTests: XCTestCase {
    private var listener: AdminListener!
    private let ready = ReadyFlag()
    private let registry = MetricsRegistry()

    override func setUpWithError() throws {
        var configuration = AdminListener.Configuration(host: "127.0.0.1", port: 0)
        configuration.maxRequestHeadBytes = 1024
        configuration.requestTimeout = .milliseconds(300)
        let ready = self.ready
        registry.counter("xsc_admin_test_total", help: "A test counter.").labels().increment(by: 7)
        listener = AdminListener(configuration: configuration, metrics: registry,
                                 isReady: { ready.value.load(ordering: .relaxed) })
        try listener.start()
    }

    override func tearDown() {
        listener.stop()
    }

    private func client() throws -> RawHTTPClient { try RawHTTPClient(port: listener.port) }

    func testHealthMetricsAndReadinessOnOneKeepAliveConnection() throws {
        let connection = try client()
        connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let health = try XCTUnwrap(connection.readResponse())
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.body, "ok\n")
        XCTAssertEqual(health.headers["connection"], "keep-alive")

        connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let metrics = try XCTUnwrap(connection.readResponse())
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(try ParsedExposition(metrics.body).value("xsc_admin_test_total"), 7)

        connection.send("GET /readyz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(connection.readResponse()?.status, 503)
        ready.value.store(true, ordering: .relaxed)
        connection.send("GET /readyz?verbose=1 HTTP/1.1\r\n\r\n")
        XCTAssertEqual(connection.readResponse()?.status, 200)
    }

    func testUnknownPathsAndMethods() throws {
        let connection = try client()
        connection.send("GET /nope HTTP/1.1\r\n\r\n")
        XCTAssertEqual(connection.readResponse()?.status, 404)
        connection.send("DELETE /metrics HTTP/1.1\r\n\r\n")
        let refused = try XCTUnwrap(connection.readResponse())
        XCTAssertEqual(refused.status, 405)
        XCTAssertEqual(refused.headers["allow"], "GET")
        // A body we do not read: answered, then the connection closes.
        connection.send("POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        let post = try XCTUnwrap(connection.readResponse())
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["connection"], "close")
        XCTAssertTrue(connection.readsEndOfStream())
    }

    func testPipelinedAndFragmentedRequests() throws {
        let connection = try client()
        connection.send("GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(connection.readResponse()?.status, 200)
        XCTAssertEqual(connection.readResponse()?.status, 404)
        XCTAssertEqual(connection.readResponse()?.status, 503)
        for byte in Array("GET /healthz HTTP/1.1\r\nHost: slow\r\n\r\n".utf8) { connection.send([byte]) }
        XCTAssertEqual(connection.readResponse()?.body, "ok\n")
    }

    func testHTTP10ClosesUnlessAskedToKeepAlive() throws {
        let closing = try client()
        closing.send("GET /healthz HTTP/1.0\r\n\r\n")
        XCTAssertEqual(closing.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(closing.readsEndOfStream())

        let keeping = try client()
        keeping.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(keeping.readResponse()?.headers["connection"], "keep-alive")
        keeping.send("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(keeping.readResponse()?.status, 200)
        XCTAssertTrue(keeping.readsEndOfStream())
    }

    func testGarbageIsAnsweredAndClosedAndTheListenerLivesOn() throws {
        var generator = SplitMix(seed: 42)
        let garbage: [[UInt8]] = [
            Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8),
            Array("GET /healthz HTTP/9.9\r\n\r\n".utf8),
            Array("get /healthz HTTP/1.1\r\n\r\n".utf8),
            Array("GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n".utf8),
            Array("GET /healthz HTTP/1.1\r\nX-Bad: \u{01}\r\n\r\n".utf8),
            Array("GET  /healthz HTTP/1.1\r\n\r\n".utf8),
            (0..<600).map { _ in UInt8(truncatingIfNeeded: generator.next()) } + [13, 10, 13, 10],
            [0, 0, 0, 0, 13, 10, 13, 10],
        ]
        for bytes in garbage {
            let connection = try client()
            connection.send(bytes)
            let response = connection.readResponse()
            XCTAssertTrue([400, 505].contains(response?.status ?? 0), "\(bytes.prefix(20)) -> \(String(describing: response))")
            XCTAssertEqual(response?.headers["connection"], "close")
            XCTAssertTrue(connection.readsEndOfStream())
        }
        let oversized = try client()
        oversized.send("GET /healthz HTTP/1.1\r\nX-Fill: " + String(repeating: "a", count: 4000) + "\r\n\r\n")
        XCTAssertEqual(oversized.readResponse()?.status, 431)
        XCTAssertTrue(oversized.readsEndOfStream())

        let endless = try client()
        endless.send(String(repeating: "A", count: 50_000))
        XCTAssertEqual(endless.readResponse()?.status, 431)

        let after = try client()
        after.send("GET /healthz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(after.readResponse()?.status, 200)
    }

    func testSilentAndHalfClosedClientsAreHandled() throws {
        let silent = try client()
        XCTAssertTrue(silent.readsEndOfStream(), "a client that never completes a request is closed")

        let halfClosed = try client()
        halfClosed.send("GET /healthz HTTP/1.1\r\n\r\n")
        halfClosed.shutdownWrite()
        XCTAssertEqual(halfClosed.readResponse()?.status, 200)
        XCTAssertTrue(halfClosed.readsEndOfStream())
    }

    func testConnectionsBeyondTheLimitAreClosed() throws {
        var configuration = AdminListener.Configuration(host: "127.0.0.1", port: 0)
        configuration.maxConnections = 2
        let limited = AdminListener(configuration: configuration, metrics: registry, isReady: { true })
        try limited.start()
        defer { limited.stop() }
        let first = try RawHTTPClient(port: limited.port)
        first.send("GET /healthz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(first.readResponse()?.status, 200)
        let second = try RawHTTPClient(port: limited.port)
        second.send("GET /healthz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(second.readResponse()?.status, 200)
        let third = try RawHTTPClient(port: limited.port)
        XCTAssertTrue(third.readsEndOfStream())
        first.send("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(first.readResponse()?.status, 200)
        XCTAssertTrue(first.readsEndOfStream())
        first.close()
        // The slot the first connection frees is available again once the server has seen its
        // close; until then a new connection may still be turned away, so try a few times.
        var served = false
        for _ in 0..<100 where !served {
            let next = try RawHTTPClient(port: limited.port)
            next.send("GET /readyz HTTP/1.1\r\n\r\n")
            served = next.readResponse()?.status == 200
        }
        XCTAssertTrue(served)
    }

    func testStopClosesTheListener() throws {
        let open = try client()
        let port = listener.port
        listener.stop()
        XCTAssertTrue(open.readsEndOfStream())
        XCTAssertThrowsError(try RawHTTPClient(port: port))
    }

    func testParserSurvivesRandomInput() {
        var generator = SplitMix(seed: 7)
        let parser = HTTPRequestParser(maxHeadBytes: 256, maxHeaders: 8)
        let pieces = ["GET ", "/metrics", " HTTP/1.1", "\r\n", ":", "Content-Length: 3", "\u{00}", " ", "\r\n\r\n", "é"]
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(generator.next() % 12) {
                if generator.next() % 3 == 0 {
                    bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                } else {
                    bytes += Array(pieces[Int(generator.next() % UInt64(pieces.count))].utf8)
                }
            }
            if case .complete(_, let consumed) = parser.parse(bytes) {
                XCTAssertLessThanOrEqual(consumed, bytes.count)
            }
        }
    }

    func testRoutesWithoutSockets() {
        let routes = AdminRoutes(metrics: registry, isReady: { false })
        let head = HTTPRequestHead(method: "HEAD", path: "/healthz", minorVersion: 1, headers: [])
        XCTAssertEqual(routes.respond(to: head).status, 405)
        XCTAssertEqual(HTTPRequestParser().parse(Array("GET / HTTP/1.1\r\n".utf8)), .incomplete)
    }
}

/// Deterministic pseudo-random bytes, so a failing garbage input can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ReadyFlag: Sendable {
    let value = Atomic<Bool>(false)
}
