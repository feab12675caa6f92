import Foundation
import TLS
import XCTest

/// The TLS server session and its context, paired in memory with the client session (the bytes
/// one produces are fed to the other): handshake, ALPN, data both ways, client certificates,
/// loading errors and the reload of changed files. Certificates come from the `openssl`
/// command, fresh for each test.
final class TLSServerSessionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-tls-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["ca", "partner-ca", "stranger-ca"] {
            try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=XSC test \(name)",
                        "-keyout", "\(name).key", "-out", "\(name).pem")
        }
        try issue("server", subject: "/CN=localhost/O=First", by: "ca", extensions: "subjectAltName=DNS:localhost\n")
        try issue("renewed", subject: "/CN=localhost/O=Renewed", by: "ca", extensions: "subjectAltName=DNS:localhost\n")
        try issue("partner", subject: "/CN=partner-17/O=Example Partner Ltd", by: "partner-ca", extensions: "extendedKeyUsage=clientAuth\n")
        try issue("stranger", subject: "/CN=partner-17/O=Example Partner Ltd", by: "stranger-ca", extensions: "extendedKeyUsage=clientAuth\n")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testHandshakeChoosesH2AndCarriesDataBothWays() throws {
        let server = try TLSServerSession(context: TLSServerContext(files: files()))
        let client = try TLSClientSession(serverName: "localhost", trust: .caFile(path("ca.pem")),
                                          applicationProtocols: ["http/1.1", "h2"])
        try handshake(client, server)
        XCTAssertTrue(server.isEstablished)
        XCTAssertEqual(server.applicationProtocol, "h2")
        XCTAssertEqual(server.protocolVersion, "TLSv1.3")
        XCTAssertNil(server.peerCertificate, "no client certificate was asked for")

        // More than many records each way (16 KiB per record), so reads span records.
        let upstream = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try client.write(upstream)
        try server.receive(client.takeOutgoing()[...])
        XCTAssertEqual(try readAll(server, count: upstream.count), upstream)

        let downstream = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try server.write(downstream[...])
        var ciphertext: [UInt8] = []
        server.takeOutgoing(appendingTo: &ciphertext)
        try client.receive(ciphertext[...])
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 20_000)
        while received.count < downstream.count {
            let (progress, count) = try client.read(into: &buffer)
            XCTAssertEqual(progress, .done)
            received += buffer.prefix(count)
        }
        XCTAssertEqual(received, downstream)
    }

    func testAClientOfferingNoProtocolOfTheServersIsRefused() throws {
        let server = try TLSServerSession(context: TLSServerContext(files: files()))
        let client = try TLSClientSession(serverName: "localhost", trust: .caFile(path("ca.pem")), applicationProtocols: ["http/1.1"])
        XCTAssertThrowsError(try handshake(client, server)) {
            XCTAssertTrue("\($0)".contains("no application protocol") || "\($0)".contains("NO_APPLICATION_PROTOCOL")
                          || "\($0)".contains("no_application_protocol"), "\($0)")
        }
        XCTAssertFalse(server.isEstablished)
    }

    func testRequiredClientCertificatesAdmitOnlyTheClientCAsOnes() throws {
        let context = try TLSServerContext(files: files(clientCertificates: .required))

        let partner = try TLSServerSession(context: context)
        try handshake(try client(certificate: "partner"), partner)
        let certificate = try XCTUnwrap(partner.peerCertificate)
        XCTAssertEqual(certificate.subject, "O=Example Partner Ltd,CN=partner-17")
        XCTAssertEqual(certificate.sha256, try sha256OfCertificate("partner"))

        let withoutCertificate = try TLSServerSession(context: context)
        XCTAssertThrowsError(try handshake(try client(certificate: nil), withoutCertificate)) {
            XCTAssertTrue("\($0)".contains("peer did not return a certificate"), "\($0)")
        }
        let stranger = try TLSServerSession(context: context)
        XCTAssertThrowsError(try handshake(try client(certificate: "stranger"), stranger)) {
            XCTAssertTrue("\($0)".contains("client's certificate was refused"), "\($0)")
        }
        XCTAssertNil(stranger.peerCertificate)
    }

    func testOptionalClientCertificatesServeClientsWithout() throws {
        let context = try TLSServerContext(files: files(clientCertificates: .optional))
        let anonymous = try TLSServerSession(context: context)
        try handshake(try client(certificate: nil), anonymous)
        XCTAssertNil(anonymous.peerCertificate)
        let partner = try TLSServerSession(context: context)
        try handshake(try client(certificate: "partner"), partner)
        XCTAssertEqual(partner.peerCertificate?.subject, "O=Example Partner Ltd,CN=partner-17")
    }

    func testFilesThatDoNotLoadAreClearErrors() {
        XCTAssertThrowsError(try TLSServerContext(files: TLSServerFiles(certificateChain: path("server.pem"),
                                                                         privateKey: path("renewed.key")))) {
            XCTAssertTrue("\($0)".contains("cannot use the private key in \(path("renewed.key")) with the certificate in"), "\($0)")
            XCTAssertTrue("\($0)".contains("key values mismatch"), "\($0)")
        }
        XCTAssertThrowsError(try TLSServerContext(files: TLSServerFiles(certificateChain: path("missing.pem"),
                                                                         privateKey: path("server.key")))) {
            XCTAssertTrue("\($0)".contains("cannot load the certificate chain from \(path("missing.pem"))"), "\($0)")
        }
        XCTAssertThrowsError(try TLSServerContext(files: files(clientCertificates: .required, clientCA: nil))) {
            XCTAssertTrue("\($0)".contains("needs a client CA file"), "\($0)")
        }
    }

    func testTheIdentityTakesUpChangedFilesAndKeepsTheLastGoodOnes() throws {
        try copy("server.pem", to: "live.pem")
        try copy("server.key", to: "live.key")
        let events = EventLog()
        let identity = try TLSServerIdentity(files: TLSServerFiles(certificateChain: path("live.pem"), privateKey: path("live.key")),
                                             checkInterval: .zero) { events.append($0) }
        let before = identity.current
        XCTAssertEqual(before.certificateSubject, "O=First,CN=localhost")
        XCTAssertTrue(identity.current === before, "unchanged files are not loaded again")

        try copy("renewed.key", to: "live.key")
        try copy("renewed.pem", to: "live.pem")
        let after = identity.current
        XCTAssertEqual(after.certificateSubject, "O=Renewed,CN=localhost")
        // A session made before the reload keeps its context and still completes.
        let old = try TLSServerSession(context: before)
        try handshake(try client(certificate: nil), old)

        try copy("server.pem", to: "live.pem")  // renewed.key stays: they do not belong together
        XCTAssertTrue(identity.current === after, "the last good context stays")
        XCTAssertEqual(events.descriptions.count, 2)
        XCTAssertTrue(events.descriptions[0].hasPrefix("reloaded O=Renewed,CN=localhost"), events.descriptions[0])
        XCTAssertTrue(events.descriptions[1].contains("key values mismatch"), events.descriptions[1])
    }

    // MARK: - Helpers

    private func files(clientCertificates: TLSServerFiles.ClientCertificates = .none,
                       clientCA: String? = "partner-ca.pem") -> TLSServerFiles {
        TLSServerFiles(certificateChain: path("server.pem"), privateKey: path("server.key"),
                       clientCA: clientCA.map(path), clientCertificates: clientCertificates)
    }

    private func client(certificate name: String?) throws -> TLSClientSession {
        try TLSClientSession(serverName: "localhost", trust: .caFile(path("ca.pem")),
                             certificate: name.map { (chain: path("\($0).pem"), key: path("\($0).key")) },
                             applicationProtocols: ["h2"])
    }

    /// Moves bytes between the two until both finished the handshake (or one throws). TLS 1.3
    /// servers judge the client's certificate after the client thinks it is done, so the
    /// server's verdict arrives with the client's first read.
    private func handshake(_ client: TLSClientSession, _ server: TLSServerSession) throws {
        for _ in 0..<10 {
            let clientDone = try client.handshake() == .done
            try server.receive(client.takeOutgoing()[...])
            var bytes: [UInt8] = []
            let serverDone: Bool
            do {
                serverDone = try server.handshake() == .done
            } catch {
                server.takeOutgoing(appendingTo: &bytes)
                try? client.receive(bytes[...])
                throw error
            }
            server.takeOutgoing(appendingTo: &bytes)
            try client.receive(bytes[...])
            if clientDone && serverDone {
                var scratch = [UInt8](repeating: 0, count: 1)
                _ = try client.read(into: &scratch)  // session tickets, or the server's alert
                return
            }
        }
        XCTFail("the handshake did not finish")
    }

    private func readAll(_ server: TLSServerSession, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var received: [UInt8] = []
        while received.count < count {
            var filled = 0
            while filled < buffer.count {
                let (progress, read) = try server.read(into: &buffer, at: filled)
                if progress != .done || read == 0 { break }
                filled += read
            }
            XCTAssertGreaterThan(filled, 0, "the server stopped before all bytes were read")
            if filled == 0 { break }
            received += buffer.prefix(filled)
        }
        XCTAssertFalse(server.hasBufferedInput)
        return received
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func copy(_ source: String, to target: String) throws {
        let staged = folder.appendingPathComponent("staged-" + target)
        try? FileManager.default.removeItem(at: staged)
        try FileManager.default.copyItem(at: folder.appendingPathComponent(source), to: staged)
        // A rename over the old file, as deployments replace certificates.
        XCTAssertEqual(rename(staged.path, folder.appendingPathComponent(target).path), 0)
    }

    private func issue(_ name: String, subject: String, by ca: String, extensions: String) throws {
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(name).key", "-out", "\(name).csr")
        try extensions.write(to: folder.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl("x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                    "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem")
    }

    private func sha256OfCertificate(_ name: String) throws -> String {
        let output = try openssl("x509", "-in", "\(name).pem", "-noout", "-fingerprint", "-sha256")
        // "sha256 Fingerprint=AB:CD:..."
        let hex = output.split(separator: "=").last.map(String.init) ?? ""
        return hex.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    @discardableResult
    private func openssl(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSError("openssl \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// What a TLSServerIdentity reported, in order.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    func append(_ event: TLSServerIdentity.Event) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .reloaded(let subject, let notAfter): entries.append("reloaded \(subject) until \(notAfter)")
        case .reloadFailed(let error): entries.append("failed \(error)")
        }
    }

    var descriptions: [String] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}
