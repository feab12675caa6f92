import XCTest
@testable import Gateway

/// A partner key bound to a client certificate (issue 19): how operators may write the
/// fingerprint, and which connections the key then accepts.
final class PartnerKeyCertificateTests: XCTestCase {
    let hex = "3f9a1c" + String(repeating: "0b", count: 29)

    func testFingerprintsAsOpenSSLPrintsThemOrAsPlainHex() {
        let openssl = "sha256 Fingerprint=" + stride(from: 0, to: 64, by: 2).map { index -> String in
            let start = hex.index(hex.startIndex, offsetBy: index)
            return hex[start..<hex.index(start, offsetBy: 2)].uppercased()
        }.joined(separator: ":")
        XCTAssertEqual(CertificateFingerprint.normalized(openssl), hex)
        XCTAssertEqual(CertificateFingerprint.normalized(hex.uppercased()), hex)
        XCTAssertEqual(CertificateFingerprint.normalized(hex), hex)
        XCTAssertNil(CertificateFingerprint.normalized(""))
        XCTAssertNil(CertificateFingerprint.normalized(String(hex.dropLast())), "63 digits")
        XCTAssertNil(CertificateFingerprint.normalized(String(hex.dropLast()) + "g"))
        XCTAssertNil(CertificateFingerprint.normalized(hex + "00"), "a SHA-512 is not a SHA-256")
    }

    func testABoundKeyAcceptsOnlyItsCertificate() {
        let bound = PartnerCredential(keyID: "k", partnerID: "p", channel: "mall", clientCertSHA256: hex)
        XCTAssertTrue(bound.accepts(clientCertSHA256: hex))
        XCTAssertFalse(bound.accepts(clientCertSHA256: nil), "no certificate (or no TLS)")
        XCTAssertFalse(bound.accepts(clientCertSHA256: String(repeating: "0", count: 64)), "another certificate")
        let unbound = PartnerCredential(keyID: "k", partnerID: "p", channel: "mall")
        XCTAssertTrue(unbound.accepts(clientCertSHA256: nil))
        XCTAssertTrue(unbound.accepts(clientCertSHA256: hex))
    }
}
