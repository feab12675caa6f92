import Foundation
import RPC
import TLS
import XCTest
@testable import ServiceKit

/// HTTP/1.1 over TLS without the gateway: an RPC server's TLS listener offering h2 and
/// http/1.1 hands http/1.1 (and no-ALPN) connections to a PublicHTTPListener that has no plain
/// port (`listensPlain = false`), which answers them with what their TLS established; Python's
/// ssl is the client (keep-alive with two requests in one write, a client certificate, no ALPN).
final class PublicHTTPOverTLSTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-http1-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["ca", "partner-ca"] {
            try openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=XSC test \(name)", "-keyout", "\(name).key", "-out", "\(name).pem")
        }
        try issue("server", subject: "/CN=localhost", by: "ca", extensions: "subjectAltName=DNS:localhost\n")
        try issue("partner", subject: "/CN=partner-17", by: "partner-ca", extensions: "extendedKeyUsage=clientAuth\n")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
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
        """, arguments: [folder.path, String(try XCTUnwrap(server.tlsPort))])
        XCTAssertEqual(output.split(separator: "\n").map(String.init), [
            "HTTP/1.1 http/1.1 CN=partner-17 /one|HTTP/1.1 http/1.1 CN=partner-17 /two",
            "None HTTP/1.1 - - /three",
            "h2",
        ])
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func issue(_ name: String, subject: String, by ca: String, extensions: String) throws {
        try openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                    "-keyout", "\(name).key", "-out", "\(name).csr")
        try extensions.write(to: folder.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl("x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                    "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem")
    }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " "))")
    }

    private func python(_ script: String, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, output)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
