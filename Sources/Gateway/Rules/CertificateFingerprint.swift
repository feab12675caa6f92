/// A client certificate's SHA-256 fingerprint as an operator gives it (CreateKey's
/// `client_cert_sha256`): what `openssl x509 -noout -fingerprint -sha256` prints
/// (`AB:CD:...`, with or without its `sha256 Fingerprint=` label) or plain hex, either case.
/// Stored and compared as 64 lower-case hex digits, the form the TLS layer reports.
enum CertificateFingerprint {
    static let expected = "the SHA-256 of the certificate's DER form: 64 hex digits, colons allowed"

    /// The canonical form, or nil when `text` is not a SHA-256 fingerprint (also for "").
    static func normalized(_ text: String) -> String? {
        // "sha256 Fingerprint=AB:CD:..." -> the part after the label.
        let value = text.split(separator: "=", omittingEmptySubsequences: false).last ?? ""
        let hex = value.filter { $0 != ":" }.lowercased()
        guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        return hex
    }
}
