/// TLS at a service's edge (the gateway): a second listener, XSC_TLS_LISTEN, beside the h2c one
/// (XSC_LISTEN), which stays for health probes and callers inside the deployment. Off unless a
/// certificate is given. Read from XSC_TLS_*: paths only, so `--print-config` shows them all
/// (the key's contents never pass through here).
public struct TLSSettings: Sendable, Equatable {
    /// XSC_TLS_LISTEN: where the TLS listener binds (default 0.0.0.0:7443, when enabled).
    public var listen = HostPort(host: "0.0.0.0", port: TLSSettings.defaultPort)
    /// XSC_TLS_CERT_FILE: PEM, the server certificate followed by its intermediates.
    public var certificateFile: String?
    /// XSC_TLS_KEY_FILE: the PEM private key of that certificate.
    public var keyFile: String?
    /// XSC_TLS_CLIENT_CA_FILE: PEM CA certificates partners' client certificates must chain to.
    public var clientCAFile: String?
    /// XSC_TLS_CLIENT_CERTS: none (default), optional (asked for, verified when shown) or
    /// required (a client without one is refused in the handshake).
    public var clientCertificates = "none"
    /// XSC_TLS_RELOAD_CHECK_MS: how often, at most, the files are checked for a change (when
    /// a connection arrives); a changed certificate is used for new connections.
    public var reloadCheck: Duration = .seconds(1)

    public static let clientCertificateModes = ["none", "optional", "required"]
    public static let defaultPort = 7443

    public init() {}

    public var isEnabled: Bool { certificateFile != nil }

    public var printableLines: [String] {
        [
            "XSC_TLS_LISTEN=\(isEnabled ? listen.description : "(off: h2c only)")",
            "XSC_TLS_CERT_FILE=\(certificateFile ?? "(none)")",
            "XSC_TLS_KEY_FILE=\(keyFile ?? "(none)")",
            "XSC_TLS_CLIENT_CA_FILE=\(clientCAFile ?? "(none)")",
            "XSC_TLS_CLIENT_CERTS=\(clientCertificates)",
            "XSC_TLS_RELOAD_CHECK_MS=\(reloadCheck.wholeMilliseconds)",
        ]
    }
}

extension EnvironmentReader {
    /// The TLS variables: certificate and key together or neither, a client CA whenever client
    /// certificates are asked for. The files themselves are read at start (a file that does not
    /// load stops the start with OpenSSL's reason), not here: `--print-config` checks a
    /// deployment's environment where its mounted files are not.
    mutating func tls() -> TLSSettings {
        var settings = TLSSettings()
        if let listen = listenAddress("XSC_TLS_LISTEN", default: settings.listen) { settings.listen = listen }
        settings.certificateFile = value("XSC_TLS_CERT_FILE")
        settings.keyFile = value("XSC_TLS_KEY_FILE")
        settings.clientCAFile = value("XSC_TLS_CLIENT_CA_FILE")
        if let mode = value("XSC_TLS_CLIENT_CERTS") {
            if TLSSettings.clientCertificateModes.contains(mode) {
                settings.clientCertificates = mode
            } else {
                problems.append("XSC_TLS_CLIENT_CERTS must be one of \(TLSSettings.clientCertificateModes.joined(separator: ", ")), got \"\(mode)\"")
            }
        }
        settings.reloadCheck = .milliseconds(wholeNumber("XSC_TLS_RELOAD_CHECK_MS", in: 100...3_600_000,
                                                         default: Int(settings.reloadCheck.wholeMilliseconds)))
        if (settings.certificateFile == nil) != (settings.keyFile == nil) {
            problems.append("XSC_TLS_CERT_FILE and XSC_TLS_KEY_FILE go together: set both to serve TLS, or neither for h2c")
        }
        if settings.clientCertificates != "none" {
            if settings.clientCAFile == nil {
                problems.append("XSC_TLS_CLIENT_CERTS=\(settings.clientCertificates) needs XSC_TLS_CLIENT_CA_FILE")
            }
            if settings.certificateFile == nil {
                problems.append("XSC_TLS_CLIENT_CERTS=\(settings.clientCertificates) needs XSC_TLS_CERT_FILE and XSC_TLS_KEY_FILE")
            }
        }
        return settings
    }
}
