import RPC
import ServiceKit
import TLS

/// The listener's TLS from XSC_TLS_* (TLSSettings): nil for h2c. A certificate that does not
/// load stops the start (throws); a renewed one that does not load later is logged and the
/// last good one kept.
enum HostTLS {
    /// `offersHTTP1`: ALPN offers `http/1.1` after `h2` (the process takes HTTP/1.1 connections).
    static func endpoint(_ settings: TLSSettings, offersHTTP1: Bool = false, logger: Logger) throws -> TLSEndpoint? {
        guard let certificate = settings.certificateFile, let key = settings.keyFile else { return nil }
        let mode = TLSServerFiles.ClientCertificates(rawValue: settings.clientCertificates) ?? .none
        let files = TLSServerFiles(certificateChain: certificate, privateKey: key, clientCA: settings.clientCAFile,
                                   clientCertificates: mode, applicationProtocols: offersHTTP1 ? ["h2", "http/1.1"] : ["h2"])
        let identity = try TLSServerIdentity(files: files, checkInterval: settings.reloadCheck) { event in
            switch event {
            case .reloaded(let subject, let notAfter):
                logger.info("TLS certificate reloaded", ["subject": .string(subject), "not_after": .string(notAfter)])
            case .reloadFailed(let error):
                logger.error("TLS certificate reload failed; keeping the previous one", ["error": .string(error.description)])
            }
        }
        let current = identity.current
        logger.info("serving TLS", ["listen": .string(settings.listen.description), "alpn": .string(files.applicationProtocols.joined(separator: ",")),
                                    "subject": .string(current.certificateSubject),
                                    "not_after": .string(current.certificateNotAfter), "client_certificates": .string(mode.rawValue)])
        return TLSEndpoint(host: settings.listen.host, port: settings.listen.port, identity: identity)
    }
}
