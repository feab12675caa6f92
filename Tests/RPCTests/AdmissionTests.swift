import Glibc
import Messages
import NetIO
import TLS
import XCTest
import XSCTestSupport
@testable import RPC

/// Admission control: past `maxCallsInFlight` a call is refused at once with RESOURCE_EXHAUSTED
/// and a RetryInfo, health still answers, and capacity comes back as calls end; past the
/// connection limits a connection is closed before it is served.
final class AdmissionTests: XCTestCase {
    private func startServer(_ adjust: (inout RPCServer.Configuration) -> Void) throws -> RPCServer {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(2)
        adjust(&configuration)
        let server = RPCServer(configuration: configuration, services: [RawEchoService()])
        try server.start()
        return server
    }

    func testCallsPastTheLimitAreRefusedAtOnceWithRetryInfo() async throws {
        let server = try startServer {
            $0.maxCallsInFlight = 2
            $0.busyRetryAfter = .milliseconds(250)
        }
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        // Two calls that hold their slots (the handler sleeps until cancelled).
        let sleepers = (0..<2).map { _ in
            Task { () -> RawMessage in try await channel.unary(path: "/test.Echo/Sleep", request: RawMessage()) }
        }
        var waited = 0
        while server.callsInFlight < 2 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        XCTAssertEqual(server.callsInFlight, 2)

        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage())
            XCTFail("a third call must be refused")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("server busy"), error.message)
            let retry = try XCTUnwrap(error.detail(Google_Rpc_RetryInfo.self))
            XCTAssertEqual(retry.retryDelay?.seconds, 0)
            XCTAssertEqual(retry.retryDelay?.nanos, 250_000_000)
        }
        // Health is admitted whatever the load.
        let health: Grpc_Health_V1_HealthCheckResponse = try await channel.unary(
            path: "/grpc.health.v1.Health/Check", request: Grpc_Health_V1_HealthCheckRequest())
        XCTAssertEqual(health.status, .serving)

        for sleeper in sleepers { sleeper.cancel() }
        waited = 0
        while server.callsInFlight > 0 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        XCTAssertEqual(server.callsInFlight, 0, "cancelled calls give their slots back")
        let echoed: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage(Array("ok".utf8)))
        XCTAssertEqual(echoed.bytes, Array("ok".utf8))
    }

    /// The unary cap (what a service's database pool carries): a third unary call is refused at
    /// once while two hold their slots; health is exempt, and a stream does not count.
    func testUnaryCallsPastTheirOwnCapAreRefused() async throws {
        let server = try startServer {
            $0.maxUnaryCallsInFlight = 2
            $0.busyRetryAfter = .milliseconds(80)
        }
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        let sleepers = (0..<2).map { _ in
            Task { () -> RawMessage in try await channel.unary(path: "/test.Echo/Sleep", request: RawMessage()) }
        }
        var waited = 0
        while server.callsInFlight < 2 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        do {
            let _: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage())
            XCTFail("a third unary call must be refused")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .resourceExhausted)
            XCTAssertTrue(error.message.contains("2 unary calls in flight"), error.message)
            XCTAssertEqual(try XCTUnwrap(error.detail(Google_Rpc_RetryInfo.self)).retryDelay?.nanos, 80_000_000)
        }
        let health: Grpc_Health_V1_HealthCheckResponse = try await channel.unary(
            path: "/grpc.health.v1.Health/Check", request: Grpc_Health_V1_HealthCheckRequest())
        XCTAssertEqual(health.status, .serving)
        let stream: ClientStreamingCall<RawMessage, RawMessage> = channel.clientStreaming(path: "/test.Echo/Concat")
        for part in ["a", "b"] { try await stream.send(RawMessage(Array(part.utf8))) }
        let concatenated = try await stream.finish()
        XCTAssertEqual(concatenated.bytes, Array("ab".utf8), "a stream is not a unary call")
        for sleeper in sleepers { sleeper.cancel() }
        waited = 0
        while server.callsInFlight > 0 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let echoed: RawMessage = try await channel.unary(path: "/test.Echo/Echo", request: RawMessage(Array("ok".utf8)))
        XCTAssertEqual(echoed.bytes, Array("ok".utf8), "ended calls give their unary slots back")
    }

    func testConnectionsPastThePerPeerLimitAreClosed() throws {
        let server = try startServer { $0.maxConnectionsPerPeer = 2 }
        defer { server.shutdown() }
        let first = try RawHTTP2Client(port: server.port)
        let second = try RawHTTP2Client(port: server.port)
        let third = try RawHTTP2Client(port: server.port)
        XCTAssertTrue(third.readUntilClosed(seconds: 10), "the third connection from one address is closed")
        XCTAssertTrue(third.frames().isEmpty, "closed before any HTTP/2 frame")
        _ = (first, second)
    }

    func testConnectionsFasterThanThePeerRateAreClosedAtAccept() throws {
        let server = try startServer {
            $0.peerConnectBurst = 3
            $0.peerConnectRate = 1
        }
        defer { server.shutdown() }
        let admitted = try (0..<3).map { _ in try RawHTTP2Client(port: server.port) }
        // Its preface may meet the close already (EPIPE): then it was refused all the same.
        if let refused = try? RawHTTP2Client(port: server.port) {
            XCTAssertTrue(refused.readUntilClosed(seconds: 10), "the fourth connection at once from one address is closed")
            XCTAssertTrue(refused.frames().isEmpty, "closed before any HTTP/2 frame")
        }
        XCTAssertFalse(admitted[2].readUntilClosed(seconds: 1), "the first three are served")
        XCTAssertEqual(server.connectionRefusals[.peerRate], 1)
        XCTAssertEqual(server.connectionRefusals.total, 1)
    }

    /// A connection that opens and resets 50 streams at once (rapid reset) against a budget of
    /// 10, and is ended for it with GOAWAY(ENHANCE_YOUR_CALM).
    private func spendTheGlitchBudget(port: Int) throws {
        let abuser = try RawHTTP2Client(port: port)
        try abuser.send((0..<50).flatMap { index -> [UInt8] in
            let stream = UInt32(1 + 2 * index)
            return RawHTTP2Client.frame(type: 1, flags: 0x4, streamID: stream, payload: Self.requestBlock)
                + RawHTTP2Client.frame(type: 3, flags: 0, streamID: stream, payload: [0, 0, 0, 8])
        })
        XCTAssertTrue(abuser.readUntilClosed(seconds: 10))
        XCTAssertEqual(abuser.goawayErrorCode(), 11)
    }

    /// The escalation: an address whose connection was ended for glitches (a rapid reset) gets
    /// one connection a second during its cool-down, so its reconnect loop is closed at accept
    /// (with the kernel drop turned off; the next test has it on).
    func testAPeerClosedForGlitchesCoolsDown() throws {
        let server = try startServer {
            $0.maxGlitchesPerConnection = 10
            $0.peerCoolDown = .seconds(60)
            $0.peerKernelDrop = false
        }
        defer { server.shutdown() }
        try spendTheGlitchBudget(port: server.port)
        if let again = try? RawHTTP2Client(port: server.port) {
            XCTAssertTrue(again.readUntilClosed(seconds: 10), "the abuser's next connection is closed at accept")
            XCTAssertTrue(again.frames().isEmpty)
        }
        XCTAssertEqual(server.connectionRefusals[.coolDown], 1)
    }

    /// With the kernel drop (the default) the cooling-down address's next connect is not even
    /// answered: its SYN is dropped by the listener's socket filter, nothing is accepted or
    /// refused. Its TCP retransmits the SYN after about a second, when the block of that second
    /// is lifted, and that connection is served (the address's one connection a second).
    func testACoolingDownPeerIsDroppedInTheKernelUntilItsNextConnectionIsDue() throws {
        let server = try startServer {
            $0.maxGlitchesPerConnection = 10
            $0.peerCoolDown = .seconds(60)
        }
        defer { server.shutdown() }
        try spendTheGlitchBudget(port: server.port)
        XCTAssertEqual(server.kernelBlocks, 1)
        // The filter is applied on the listener's loop right after the close.
        usleep(100_000)
        let again = try TCPSocket.connect(to: SocketAddress(numericHost: "127.0.0.1", port: server.port))
        var poll = pollfd(fd: again.fd, events: Int16(POLLOUT), revents: 0)
        XCTAssertEqual(Glibc.poll(&poll, 1, 300), 0, "the SYN is dropped: no answer at all")
        XCTAssertEqual(server.connectionRefusals.total, 0, "nothing reached accept")
        XCTAssertEqual(Glibc.poll(&poll, 1, 5000), 1, "the retransmitted SYN gets in once the second is over")
        XCTAssertNil(again.connectResult())
        // Accepted on the server's loop: admitted as the address's one connection of the second,
        // and the address is blocked again until the next one is due.
        for _ in 0..<500 where server.kernelBlocks < 2 { usleep(10_000) }
        XCTAssertEqual(server.kernelBlocks, 2, "blocked again until the next one is due")
        XCTAssertEqual(server.connectionRefusals.total, 0, "served, not refused")
    }

    /// Every listener drops the cooling-down address: both SO_REUSEPORT listeners of a two-loop
    /// server (the kernel spreads connects over them by their ports) and the TLS listener.
    func testEveryListenerOfEveryLoopDropsACoolingDownPeer() throws {
        let certificates = try CertificateFolder(prefix: "xsc-kernel-drop", keys: .rsa2048, serverNames: "IP:127.0.0.1",
                                                 partnerSubject: "/CN=unused")
        defer { certificates.remove() }
        let path = { (name: String) in certificates.url.appendingPathComponent(name).path }
        let identity = try TLSServerIdentity(files: TLSServerFiles(certificateChain: path("server.pem"), privateKey: path("server.key")))
        let server = try startServer {
            $0.eventLoops = 2
            $0.maxGlitchesPerConnection = 10
            $0.peerCoolDown = .seconds(60)
            $0.tls = TLSEndpoint(host: "127.0.0.1", port: 0, identity: identity)
        }
        defer { server.shutdown() }
        try spendTheGlitchBudget(port: server.port)
        usleep(100_000)
        let ports = Array(repeating: server.port, count: 8) + Array(repeating: try XCTUnwrap(server.tlsPort), count: 8)
        let attempts = try ports.map { try TCPSocket.connect(to: SocketAddress(numericHost: "127.0.0.1", port: $0)) }
        var polls = attempts.map { pollfd(fd: $0.fd, events: Int16(POLLOUT), revents: 0) }
        XCTAssertEqual(Glibc.poll(&polls, nfds_t(polls.count), 300), 0, "no connect on any listener is answered")
        XCTAssertEqual(server.connectionRefusals.total, 0)
    }

    /// The per-address connection cap counts an IPv6 /64 as one client, as the rates do.
    func testTheConnectionCapCountsAnIPv6Slash64AsOneClient() {
        let admission = AdmissionControl(limits: .init(maxConnections: 100, maxConnectionsPerPeer: 2, maxCallsInFlight: 10,
                                                       retryAfter: .milliseconds(100),
                                                       peerRates: .init(burst: 0, perSecond: 1, coolDown: .zero)))
        XCTAssertTrue(admission.admitConnection(peer: "2001:db8:1:2::1"))
        XCTAssertTrue(admission.admitConnection(peer: "2001:db8:1:2::2"))
        XCTAssertFalse(admission.admitConnection(peer: "2001:db8:1:2:ffff::3"), "a third address of the same /64")
        XCTAssertTrue(admission.admitConnection(peer: "2001:db8:1:3::1"), "another /64")
        admission.connectionClosed(peer: "2001:db8:1:2::1")
        XCTAssertTrue(admission.admitConnection(peer: "2001:db8:1:2::9"))
        XCTAssertEqual(admission.refusals[.peerLimit], 1)
    }

    /// Without the cool-down (and the same rapid reset) the next connection is served: what
    /// the test above shows is the cool-down's doing.
    func testWithoutACoolDownTheAbuserReconnects() throws {
        let server = try startServer {
            $0.maxGlitchesPerConnection = 10
            $0.peerCoolDown = .zero
        }
        defer { server.shutdown() }
        let abuser = try RawHTTP2Client(port: server.port)
        try abuser.send((0..<50).flatMap { index -> [UInt8] in
            let stream = UInt32(1 + 2 * index)
            return RawHTTP2Client.frame(type: 1, flags: 0x4, streamID: stream, payload: Self.requestBlock)
                + RawHTTP2Client.frame(type: 3, flags: 0, streamID: stream, payload: [0, 0, 0, 8])
        })
        XCTAssertTrue(abuser.readUntilClosed(seconds: 10))
        let again = try RawHTTP2Client(port: server.port)
        XCTAssertFalse(again.readUntilClosed(seconds: 1))
        XCTAssertEqual(server.connectionRefusals.total, 0)
    }

    /// A gRPC request's header block: literal, never-indexed fields.
    private static let requestBlock: [UInt8] = {
        func literal(_ name: String, _ value: String) -> [UInt8] {
            [0x10, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return literal(":method", "POST") + literal(":scheme", "http") + literal(":path", "/test.Echo/Echo")
            + literal(":authority", "x") + literal("content-type", "application/grpc") + literal("te", "trailers")
    }()

    func testAClientThatNeverCompletesItsPrefaceIsClosed() throws {
        let server = try startServer { $0.handshakeTimeout = .milliseconds(300) }
        defer { server.shutdown() }
        // A slowloris: the first bytes of the preface, then nothing more.
        let socket = try TCPSocket.connect(to: SocketAddress(numericHost: "127.0.0.1", port: server.port))
        _ = socket.write(Array("PRI * HTTP".utf8), from: 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var closed = false
        for _ in 0..<1000 where !closed {   // a liveness bound of 10 s, not a timing assertion
            switch socket.read(into: &buffer) {
            case .closed, .failed: closed = true
            case .bytes, .wouldBlock: usleep(10_000)
            }
        }
        XCTAssertTrue(closed, "a connection without a complete preface is closed after the handshake timeout")
        // A client that completed its preface stays, idle, well past the timeout.
        let polite = try RawHTTP2Client(port: server.port)
        XCTAssertFalse(polite.readUntilClosed(seconds: 2), "a connection past its preface is not closed by the handshake timeout")
    }
}
