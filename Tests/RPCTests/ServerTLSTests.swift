import Foundation
import Synchronization
import TLS
import XCTest
import XSCTestSupport
@testable import RPC

/// The server's TLS listener driven by Python grpcio (ssl_channel_credentials with a client
/// certificate): large messages both ways (many TLS records per read and per write), streams in
/// parallel on one connection, and what a call sees of the TLS it came over (ServerContext.tls:
/// version, ALPN, the verified client certificate), beside the h2c port where it sees nil.
final class ServerTLSTests: XCTestCase {
    private var certificates: CertificateFolder!

    override func setUpWithError() throws {
        certificates = try CertificateFolder(prefix: "xsc-rpc-tls", keys: .rsa2048, serverNames: "DNS:localhost,IP:127.0.0.1",
                                             partnerSubject: "/CN=partner-17/O=Example Partner Ltd")
    }

    override func tearDownWithError() throws {
        certificates.remove()
    }

    func testGrpcioOverTLSWithAClientCertificateAndWhatTheCallSees() throws {
        let seen = SeenTLS()
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.interceptors = [seen]
        let identity = try TLSServerIdentity(files: TLSServerFiles(
            certificateChain: path("server.pem"), privateKey: path("server.key"), clientCA: path("partner-ca.pem"),
            clientCertificates: .optional))
        configuration.tls = TLSEndpoint(host: "127.0.0.1", port: 0, identity: identity)
        let server = RPCServer(configuration: configuration, services: [RawEchoService()])
        try server.start()
        defer { server.shutdown() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        XCTAssertNotEqual(tlsPort, server.port)

        let output = try python("""
        import sys, grpc
        from concurrent.futures import ThreadPoolExecutor
        folder, port, h2c = sys.argv[1], sys.argv[2], sys.argv[3]
        read = lambda name: open(folder + '/' + name, 'rb').read()
        credentials = grpc.ssl_channel_credentials(read('ca.pem'), read('partner.key'), read('partner.pem'))
        ch = grpc.secure_channel('127.0.0.1:' + port, credentials, options=[('grpc.ssl_target_name_override', 'localhost'),
            ('grpc.max_receive_message_length', 8 << 20), ('grpc.max_send_message_length', 8 << 20)])
        ident = lambda b: b
        echo = ch.unary_unary('/test.Echo/Echo', request_serializer=ident, response_deserializer=ident)
        big = bytes(i * 7 % 251 for i in range(3 << 20))
        assert echo(big, timeout=30) == big, 'a 3 MiB message round trip'
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda i: echo(bytes([i]) * (i * 4099), timeout=30), range(1, 65)))
        assert answers == [bytes([i]) * (i * 4099) for i in range(1, 65)], '64 calls at once on one connection'
        plain = grpc.insecure_channel('127.0.0.1:' + h2c)
        assert plain.unary_unary('/test.Echo/Echo', request_serializer=ident, response_deserializer=ident)(b'h2c', timeout=10) == b'h2c'
        print('ok')
        """, arguments: [certificates.url.path, String(tlsPort), String(server.port)])
        XCTAssertEqual(output, "ok")

        let calls = seen.calls
        XCTAssertEqual(calls.count, 66)
        let overTLS = calls.compactMap { $0 }
        XCTAssertEqual(overTLS.count, 65, "every call but the h2c one came over TLS")
        let first = try XCTUnwrap(overTLS.first)
        XCTAssertEqual(first.applicationProtocol, "h2")
        XCTAssertEqual(first.protocolVersion, "TLSv1.3")
        XCTAssertEqual(first.peerCertificate?.subject, "O=Example Partner Ltd,CN=partner-17")
        XCTAssertEqual(first.peerCertificate?.sha256.count, 64)
        XCTAssertTrue(overTLS.allSatisfy { $0 == first })
        XCTAssertEqual(calls.filter { $0 == nil }.count, 1, "the h2c call sees no TLS")
    }

    /// A client that stops reading while a 12 MiB answer comes back: the whole answer (headers,
    /// data, trailers) is encrypted in one write, the server's socket fills, TLS records wait in
    /// the stream (`hasPendingOutput`), and the server must come back for them when the socket
    /// drains: nothing else will happen on the connection (the client has sent everything).
    func testAResponseLargerThanTheSocketBuffersReachesAClientThatPausesReading() throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        configuration.maxReceiveMessageSize = 16 * 1024 * 1024
        let identity = try TLSServerIdentity(files: TLSServerFiles(certificateChain: path("server.pem"), privateKey: path("server.key")))
        configuration.tls = TLSEndpoint(host: "127.0.0.1", port: 0, identity: identity)
        let server = RPCServer(configuration: configuration, services: [RawEchoService()])
        try server.start()
        defer { server.shutdown() }
        let output = try python("""
        import socket, ssl, sys, time
        import h2.config, h2.connection, h2.events, h2.settings
        folder, port = sys.argv[1], int(sys.argv[2])
        context = ssl.create_default_context(cafile=folder + '/ca.pem')
        context.set_alpn_protocols(['h2'])
        raw = socket.create_connection(('127.0.0.1', port), timeout=30)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        tls = context.wrap_socket(raw, server_hostname='localhost')
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding='utf-8'))
        conn.local_settings = h2.settings.Settings(client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
        conn.initiate_connection()
        conn.increment_flow_control_window(2**31 - 1 - 65535)
        tls.sendall(conn.data_to_send())
        events = []
        def pump():
            data = tls.recv(1 << 20)
            assert data, 'the server closed the connection'
            events.extend(conn.receive_data(data))
            tls.sendall(conn.data_to_send())
        while not any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events):
            pump()
        payload = bytes(range(251)) * (12 * 4177)  # 12 MiB: more than the kernel buffers hold
        message = b'\\x00' + len(payload).to_bytes(4, 'big') + payload
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(':method', 'POST'), (':scheme', 'https'), (':authority', 'localhost'),
                                   (':path', '/test.Echo/Echo'), ('content-type', 'application/grpc'), ('te', 'trailers')])
        sent = 0
        while sent < len(message):
            room = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size, len(message) - sent)
            if room == 0:
                pump()
                continue
            conn.send_data(stream, message[sent:sent + room], end_stream=sent + room == len(message))
            sent += room
            tls.sendall(conn.data_to_send())
        time.sleep(2)  # not reading: the server's socket fills with the 3 MiB answer
        received, trailers = 0, None
        while trailers is None:
            pump()
            for event in events:
                if isinstance(event, h2.events.DataReceived):
                    received += len(event.data)
                elif isinstance(event, h2.events.TrailersReceived):
                    trailers = dict(event.headers)
            events.clear()
        assert received == len(message), received
        print(trailers.get('grpc-status'))
        """, arguments: [certificates.url.path, String(try XCTUnwrap(server.tlsPort))])
        XCTAssertEqual(output, "0")
    }

    private func path(_ name: String) -> String { certificates.path(name) }

    private func python(_ script: String, arguments: [String]) throws -> String {
        try certificates.python(script, arguments: arguments)
    }
}

/// What each call saw of its connection's TLS, in arrival order.
private final class SeenTLS: ServerInterceptor {
    private let seen = Mutex<[TLSConnectionInfo?]>([])

    func callStarted(_ context: ServerContext) throws {
        let tls = context.tls
        seen.withLock { $0.append(tls) }
    }

    var calls: [TLSConnectionInfo?] { seen.withLock { $0 } }
}
