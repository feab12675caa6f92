import Foundation
import RPC
import TLS
import XCTest
import XSCTestSupport
@testable import ServiceKit

/// HTTP/1.1 over TLS without the gateway: an RPC server's TLS listener offering h2 and
/// http/1.1 hands http/1.1 (and no-ALPN) connections to a PublicHTTPListener that has no plain
/// port (`listensPlain = false`), which answers them with what their TLS established; Python's
/// ssl is the client (keep-alive with two requests in one write, a client certificate, no ALPN).
final class PublicHTTPOverTLSTests: XCTestCase {
    private var certificates: CertificateFolder!

    override func setUpWithError() throws {
        certificates = try CertificateFolder(prefix: "xsc-http1-tls", keys: .p256, serverNames: "DNS:localhost",
                                             partnerSubject: "/CN=partner-17")
    }

    override func tearDownWithError() throws {
        certificates.remove()
    }

    func testHTTP11ConnectionsAreHandedToTheHTTP11Listener() throws {
        var http = PublicHTTPListener.Configuration(host: "127.0.0.1", port: 0)
        http.listensPlain = false
        let listener = PublicHTTPListener(configuration: http) { request, responder in
            let text = [request.protocolName, request.tls?.applicationProtocol ?? "-", request.tls?.peerCertificate?.subject ?? "-",
                        request.target].joined(separator: " ")
            await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "text/plain")]),
                                    body: Array(text.utf8))
        }
        try listener.start()
        XCTAssertEqual(listener.port, 0, "no plain port")
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        configuration.shutdownGracePeriod = .seconds(1)
        let identity = try TLSServerIdentity(files: TLSServerFiles(
            certificateChain: path("server.pem"), privateKey: path("server.key"), clientCA: path("partner-ca.pem"),
            clientCertificates: .optional, applicationProtocols: ["h2", "http/1.1"]))
        configuration.tls = TLSEndpoint(host: "127.0.0.1", port: 0, identity: identity)
        configuration.tlsHTTP1 = { listener.adopt($0) }
        let server = RPCServer(configuration: configuration, services: [])
        try server.start()
        defer {
            server.shutdown()
            let stopped = expectation(description: "stopped")
            Task {
                await listener.stop()
                stopped.fulfill()
            }
            wait(for: [stopped], timeout: 30)
        }

        let output = try python("""
        import socket, ssl, sys
        folder, port = sys.argv[1], int(sys.argv[2])
        def connect(alpn, client):
            context = ssl.create_default_context(cafile=folder + '/ca.pem')
            if alpn:
                context.set_alpn_protocols(alpn)
            if client:
                context.load_cert_chain(folder + '/partner.pem', folder + '/partner.key')
            return context.wrap_socket(socket.create_connection(('127.0.0.1', port), timeout=20), server_hostname='localhost')
        def bodies(connection, count):
            data, found = b'', []
            while len(found) < count:
                chunk = connection.recv(65536)
                assert chunk, data
                data += chunk
                while b'\\r\\n\\r\\n' in data:
                    head, rest = data.split(b'\\r\\n\\r\\n', 1)
                    length = int([l for l in head.split(b'\\r\\n') if l.lower().startswith(b'content-length:')][0].split(b':')[1])
                    if len(rest) < length:
                        break
                    found.append(rest[:length].decode())
                    data = rest[length:]
            return found
        with connect(['http/1.1'], True) as c:
            c.sendall(b'GET /one HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /two HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
            print('|'.join(bodies(c, 2)))
        with connect(None, False) as c:
            c.sendall(b'GET /three HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')
            print(c.selected_alpn_protocol(), bodies(c, 1)[0])
        with connect(['h2', 'http/1.1'], False) as c:
            print(c.selected_alpn_protocol())
        """, arguments: [certificates.url.path, String(try XCTUnwrap(server.tlsPort))])
        XCTAssertEqual(output.split(separator: "\n").map(String.init), [
            "HTTP/1.1 http/1.1 CN=partner-17 /one|HTTP/1.1 http/1.1 CN=partner-17 /two",
            "None HTTP/1.1 - - /three",
            "h2",
        ])
    }

    private func path(_ name: String) -> String { certificates.path(name) }

    private func python(_ script: String, arguments: [String]) throws -> String {
        try certificates.python(script, arguments: arguments)
    }
}
