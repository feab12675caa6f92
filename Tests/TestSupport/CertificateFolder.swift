import Foundation
import XCTest

/// A throwaway folder of test certificates, made with the openssl command line: two CAs ("ca"
/// for servers, "partner-ca" for clients), a server certificate for localhost and a partner's
/// client certificate; and a way to run a Python snippet (the ssl module as a third-party
/// client) against a server that uses them. The TLS tests of RPC and ServiceKit share it.
public final class CertificateFolder {
    public enum KeyKind: Sendable {
        case rsa2048
        case p256

        var arguments: [String] {
            switch self {
            case .rsa2048: return ["-newkey", "rsa:2048"]
            case .p256: return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            }
        }
    }

    public let url: URL
    private let keys: KeyKind

    /// Makes the folder with ca, partner-ca, server (signed by ca for `serverNames`, a
    /// subjectAltName list such as "DNS:localhost") and partner (signed by partner-ca, `partnerSubject`).
    public init(prefix: String, keys: KeyKind, serverNames: String, partnerSubject: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        self.keys = keys
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in ["ca", "partner-ca"] {
            try openssl(["req", "-x509"] + keys.arguments + ["-nodes", "-days", "2", "-subj", "/CN=XSC test \(name)",
                                                               "-keyout", "\(name).key", "-out", "\(name).pem"])
        }
        try issue("server", subject: "/CN=localhost", by: "ca", extensions: "subjectAltName=\(serverNames)\n")
        try issue("partner", subject: partnerSubject, by: "partner-ca", extensions: "extendedKeyUsage=clientAuth\n")
    }

    public func remove() { try? FileManager.default.removeItem(at: url) }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// `name`.key and `name`.pem, signed by the CA `ca`, with the given openssl extension lines.
    public func issue(_ name: String, subject: String, by ca: String, extensions: String) throws {
        try openssl(["req"] + keys.arguments + ["-nodes", "-subj", subject, "-keyout", "\(name).key", "-out", "\(name).csr"])
        try extensions.write(to: url.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                     "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }

    public func openssl(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " "))", file: file, line: line)
    }

    /// Runs `python3 -c script arguments...` and returns its output (stdout and stderr), failing
    /// the test when it exits non-zero.
    public func python(_ script: String, arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
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
        XCTAssertEqual(process.terminationStatus, 0, output, file: file, line: line)
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
