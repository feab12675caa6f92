import Foundation
import NetIO
import TLS
import XCTest

/// The TLS client session against `openssl s_server` (a real TLS server, certificates made by
/// the `openssl` command for each run): a certificate that chains to the trusted CA and names
/// the host passes; another CA, another name, a missing CA file or a server that is no TLS
/// server fail with a reason a person can act on.
final class TLSClientSessionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["ca", "stranger-ca"] {
            try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=XSC test \(name)",
                        "-keyout", "\(name).key", "-out", "\(name).pem")
        }
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
        try "subjectAltName=DNS:localhost\n".write(to: folder.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                    "-extfile", "san.ext", "-out", "server.pem")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testACertificateFromTheTrustedCANamingTheHostPasses() throws {
        try withServer(connections: 1) { port in
            try handshake(serverName: "localhost", port: port, trust: .caFile(path("ca.pem")))
        }
    }

    func testAnotherCAOrAnotherNameIsRefusedWithTheReason() throws {
        try withServer(connections: 2) { port in
            XCTAssertThrowsError(try handshake(serverName: "localhost", port: port, trust: .caFile(path("stranger-ca.pem")))) {
                XCTAssertTrue("\($0)".contains("certificate was refused (unable to get local issuer certificate)"), "\($0)")
            }
            XCTAssertThrowsError(try handshake(serverName: "sms.example.com", port: port, trust: .caFile(path("ca.pem")))) {
                XCTAssertTrue("\($0)".contains("certificate was refused (hostname mismatch)"), "\($0)")
            }
        }
    }

    func testAServerThatSpeaksNoTLSFailsTheHandshake() throws {
        try TLSFailurePaths.noTLSServer()
    }

    func testAMissingCAFileIsAClearError() {
        TLSFailurePaths.missingCAFile()
    }

    // MARK: - Helpers

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSError("openssl \(arguments.joined(separator: " ")) failed") }
    }

    /// `openssl s_server` with the localhost certificate on a free port, for `connections`
    /// handshakes, around `body` (`-www`: it answers HTTP instead of relaying its stdin, whose
    /// end would close every connection). Ready once it prints ACCEPT (a probe connection
    /// would use up one of its accepts).
    private func withServer(connections: Int, _ body: (Int) throws -> Void) throws {
        let port = try freePort()
        let log = folder.appendingPathComponent("s_server-\(port).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", path("server.pem"), "-key", path("server.key"),
                            "-naccept", "\(connections)", "-www"]
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
        }
        let giveUp = Date().addingTimeInterval(30)
        while !((try? String(contentsOf: log, encoding: .utf8))?.contains("ACCEPT") ?? false) {
            guard Date() < giveUp, server.isRunning else { throw TLSError("openssl s_server did not start on port \(port)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try body(port)
    }

    private func freePort() throws -> Int {
        let listener = try TCPListener(address: try SocketAddress.resolve(host: "127.0.0.1", port: 0), reusePort: false)
        defer { listener.close() }
        return listener.localAddress.port
    }

    /// One handshake over a real socket, moving the session's bytes by polling.
    private func handshake(serverName: String, port: Int, trust: TLSTrust) throws {
        let session = try TLSClientSession(serverName: serverName, trust: trust)
        let socket = try TCPSocket.connect(to: try SocketAddress.resolve(host: "127.0.0.1", port: port))
        defer { socket.close() }
        let giveUp = Date().addingTimeInterval(30)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let progress = try session.handshake()
            // Sent even when done: TLS 1.3's last client flight comes out of the final step.
            var pending = session.takeOutgoing()
            while !pending.isEmpty {
                guard Date() < giveUp else { throw TLSError("handshake timed out") }
                if let error = socket.connectResult() { throw TLSError("connect: \(error)") }
                switch socket.write(pending, from: 0) {
                case .wrote(let count): pending.removeFirst(count)
                case .wouldBlock: Thread.sleep(forTimeInterval: 0.005)
                case .failed(let code): throw TLSError("write errno \(code)")
                }
            }
            if progress == .done { return }
            readLoop: while true {
                guard Date() < giveUp else { throw TLSError("handshake timed out") }
                switch socket.read(into: &buffer) {
                case .bytes(let count):
                    try session.receive(buffer[0..<count])
                    break readLoop
                case .closed: throw TLSError("the server closed the connection")
                case .wouldBlock: Thread.sleep(forTimeInterval: 0.005)
                case .failed(let code): throw TLSError("read errno \(code)")
                }
            }
        }
    }
}

/// Paths that need no server, shared with the leak loop.
enum TLSFailurePaths {
    static func noTLSServer() throws {
        let session = try TLSClientSession(serverName: "localhost", trust: .system)
        XCTAssertEqual(try session.handshake(), .needsInput)
        let hello = session.takeOutgoing()
        XCTAssertEqual(hello.first, 0x16, "a TLS handshake record (ClientHello) to send")
        try session.receive(ArraySlice("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))
        XCTAssertThrowsError(try session.handshake()) { XCTAssertTrue("\($0)".hasPrefix("TLS handshake failed"), "\($0)") }
    }

    static func missingCAFile() {
        XCTAssertThrowsError(try TLSClientSession(serverName: "localhost", trust: .caFile("/nonexistent/ca.pem"))) {
            XCTAssertTrue("\($0)".hasPrefix("cannot load CA certificates from /nonexistent/ca.pem"), "\($0)")
        }
    }
}

/// The session's allocations, over and over: contexts with the system's CAs, connections,
/// buffers, ClientHellos, failed handshakes and OpenSSL's error queue. Under valgrind
/// (scripts/leak-check.sh, XSC_LEAK_LOOP_ITERATIONS raised) it proves the wrapper frees what
/// OpenSSL allocates; as a plain test it is a short smoke run. No processes (valgrind and
/// Foundation's Process do not mix), so no completed handshake: the tests above cover that.
final class TLSLeakLoopTests: XCTestCase {
    func testLeakLoop() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["XSC_LEAK_LOOP_ITERATIONS"] ?? "") ?? 3
        for _ in 0..<iterations {
            try TLSFailurePaths.noTLSServer()
            TLSFailurePaths.missingCAFile()
            try TLSServerPaths.exercise()
        }
        if ProcessInfo.processInfo.environment["XSC_LEAK_CHECK_SELFTEST"] != nil {
            // scripts/leak-check.sh proves valgrind catches a leak with this.
            _ = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 8)
        }
    }
}
