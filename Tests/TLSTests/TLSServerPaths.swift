import Foundation
import TLS

/// The server side's allocation paths for the leak loop (TLSLeakLoopTests, run under valgrind
/// by scripts/leak-check.sh): a context with ALPN and a client CA, a handshake with a client
/// certificate and data both ways, a reload, a key that does not match, a refused client.
/// Certificates are made once per process by the `openssl` command, or by scripts/leak-check.sh
/// before valgrind starts (XSC_TLS_LEAK_CERTS: Foundation's Process itself trips valgrind).
enum TLSServerPaths {
    private static let folder: URL = {
        if let made = ProcessInfo.processInfo.environment["XSC_TLS_LEAK_CERTS"] { return URL(fileURLWithPath: made) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-tls-leak-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
            process.waitUntilExit()
        }
        for name in ["ca", "other"] {
            openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                     "-subj", "/CN=\(name)", "-keyout", "\(name).key", "-out", "\(name).pem"])
        }
        openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost", "-keyout", "server.key", "-out", "server.csr"])
        openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                 "-copy_extensions", "copy", "-out", "server.pem"])
        return folder
    }()

    private static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func exercise() throws {
        let files = TLSServerFiles(certificateChain: path("server.pem"), privateKey: path("server.key"),
                                   clientCA: path("ca.pem"), clientCertificates: .optional)
        let identity = try TLSServerIdentity(files: files, checkInterval: .zero)
        identity.reloadNow()
        // The CA's own certificate and key stand in for a partner's (it verifies against itself).
        let client = try TLSClientSession(serverName: "localhost", trust: .caFile(path("ca.pem")),
                                          certificate: (chain: path("ca.pem"), key: path("ca.key")), applicationProtocols: ["h2"])
        let server = try TLSServerSession(context: identity.current)
        try handshake(client, server)
        _ = server.peerCertificate
        _ = server.applicationProtocol
        try client.write(Array(repeating: 7, count: 40_000))
        try server.receive(client.takeOutgoing()[...])
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        _ = try server.read(into: &buffer, at: 0)
        try server.write(Array(repeating: 9, count: 40_000)[...])
        server.shutdown()
        var out: [UInt8] = []
        server.takeOutgoing(appendingTo: &out)

        _ = try? TLSServerContext(files: TLSServerFiles(certificateChain: path("server.pem"), privateKey: path("other.key")))
        let stranger = try TLSClientSession(serverName: "localhost", trust: .caFile(path("ca.pem")),
                                            certificate: (chain: path("other.pem"), key: path("other.key")))
        _ = try? handshake(stranger, try TLSServerSession(context: identity.current))
    }

    private static func handshake(_ client: TLSClientSession, _ server: TLSServerSession) throws {
        for _ in 0..<10 {
            let clientDone = try client.handshake() == .done
            try server.receive(client.takeOutgoing()[...])
            var bytes: [UInt8] = []
            let serverDone = try server.handshake() == .done
            server.takeOutgoing(appendingTo: &bytes)
            try client.receive(bytes[...])
            if clientDone && serverDone { return }
        }
        throw TLSError("the handshake did not finish")
    }
}
