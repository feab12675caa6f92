import Foundation
import XCTest
@testable import ServiceKit

/// XSC_TLS_*: off by default, paths shown by `--print-config`, and every inconsistency reported
/// at once before the service starts (a certificate without its key, client certificates
/// without a CA, a TLS port that is already taken).
final class TLSSettingsTests: XCTestCase {
    private let base = ["DATABASE_URL": "postgres://gateway@localhost/xsc",
                        "XSC_ACTOR_SECRET": "a-generated-secret-of-enough-length-7f3a9c"]

    func testOffByDefaultAndShownByPrintConfig() throws {
        let config = try ServiceConfig.load(service: "gateway", environment: base)
        XCTAssertFalse(config.tls.isEnabled)
        let printed = config.printable()
        for line in ["XSC_TLS_LISTEN=(off: h2c only)", "XSC_TLS_CERT_FILE=(none)", "XSC_TLS_CLIENT_CERTS=none", "XSC_TLS_RELOAD_CHECK_MS=1000"] {
            XCTAssertTrue(printed.contains(line + "\n"), "missing \(line) in\n\(printed)")
        }
    }

    func testReadableFilesAreTakenAndPrinted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-tls-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String: String] = [:]
        for name in ["cert.pem", "key.pem", "ca.pem"] {
            let path = folder.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            paths[name] = path
        }
        let config = try ServiceConfig.load(service: "gateway", environment: base.merging([
            "XSC_TLS_CERT_FILE": paths["cert.pem"]!, "XSC_TLS_KEY_FILE": paths["key.pem"]!,
            "XSC_TLS_CLIENT_CA_FILE": paths["ca.pem"]!, "XSC_TLS_CLIENT_CERTS": "required", "XSC_TLS_RELOAD_CHECK_MS": "250",
        ]) { $1 })
        XCTAssertTrue(config.tls.isEnabled)
        XCTAssertEqual(config.tls.clientCertificates, "required")
        XCTAssertEqual(config.tls.reloadCheck, .milliseconds(250))
        let printed = config.printable()
        XCTAssertTrue(printed.contains("XSC_TLS_KEY_FILE=\(paths["key.pem"]!)\n"), printed)
        XCTAssertTrue(printed.contains("XSC_TLS_CLIENT_CERTS=required\n"), printed)
        XCTAssertTrue(printed.contains("XSC_TLS_LISTEN=0.0.0.0:7443\n"), printed)
        XCTAssertThrowsError(try ServiceConfig.load(service: "gateway", environment: base.merging([
            "XSC_TLS_CERT_FILE": paths["cert.pem"]!, "XSC_TLS_KEY_FILE": paths["key.pem"]!, "XSC_LISTEN": "0.0.0.0:7443",
        ]) { $1 })) {
            XCTAssertTrue("\($0)".contains("XSC_TLS_LISTEN uses port 7443, already XSC_LISTEN's"), "\($0)")
        }
    }

    func testEveryProblemIsReportedAtOnce() {
        XCTAssertThrowsError(try ServiceConfig.load(service: "gateway", environment: base.merging([
            "XSC_TLS_CERT_FILE": "/nonexistent/cert.pem", "XSC_TLS_CLIENT_CERTS": "sometimes",
        ]) { $1 })) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("XSC_TLS_CERT_FILE and XSC_TLS_KEY_FILE go together"), text)
            XCTAssertTrue(text.contains("XSC_TLS_CLIENT_CERTS must be one of none, optional, required"), text)
        }
        XCTAssertThrowsError(try ServiceConfig.load(service: "gateway", environment: base.merging([
            "XSC_TLS_CLIENT_CERTS": "optional",
        ]) { $1 })) { error in
            XCTAssertTrue("\(error)".contains("XSC_TLS_CLIENT_CERTS=optional needs XSC_TLS_CLIENT_CA_FILE"), "\(error)")
        }
    }
}
