import COpenSSL

/// What a TLS server presents and accepts: its certificate chain and key (PEM files), the
/// application protocols it offers (ALPN) and, optionally, the CA whose client certificates it
/// verifies.
public struct TLSServerFiles: Sendable, Equatable {
    /// Whether clients must, may or need not show a certificate from `clientCA`.
    public enum ClientCertificates: String, Sendable, Equatable, CaseIterable {
        /// None asked for.
        case none
        /// Asked for; a client without one is served, a client with a bad one is refused.
        case optional
        /// A client without a certificate from `clientCA` is refused in the handshake.
        case required
    }

    /// The server's certificate followed by its intermediates.
    public var certificateChain: String
    public var privateKey: String
    /// PEM CA certificates that client certificates must chain to.
    public var clientCA: String?
    public var clientCertificates: ClientCertificates
    /// In preference order; a client offering ALPN without any of them is refused.
    public var applicationProtocols: [String]

    public init(certificateChain: String, privateKey: String, clientCA: String? = nil,
                clientCertificates: ClientCertificates = .none, applicationProtocols: [String] = ["h2"]) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.clientCertificates = clientCertificates
        self.applicationProtocols = applicationProtocols
    }
}

/// One loaded server configuration (an OpenSSL SSL_CTX): TLS 1.2 and 1.3 only, forward-secret
/// AEAD ciphers only on 1.2 (1.3 has nothing else), no renegotiation, no compression. Loading
/// again from the same files is how a renewed certificate is taken up: sessions keep the
/// context they started with, new ones take the new context.
///
/// Thread-safe: sessions on any thread are created from one context.
public final class TLSServerContext: @unchecked Sendable {
    /// TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 (the Mozilla
    /// "intermediate" choice); anything without forward secrecy or an AEAD is left out.
    public static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    let context: OpaquePointer
    public let files: TLSServerFiles
    /// The ALPN list in the form the selection callback reads (see shim.h); lives as long as
    /// the context that points at it.
    private let alpnList: UnsafeMutablePointer<UInt8>
    /// The server certificate's subject (RFC 2253) and last valid day, for logs.
    public let certificateSubject: String
    public let certificateNotAfter: String

    public init(files: TLSServerFiles) throws(TLSError) {
        ERR_clear_error()
        var wire: [UInt8] = []
        for name in files.applicationProtocols {
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty, bytes.count < 256 else { throw TLSError("ALPN protocol name \"\(name)\" must be 1 to 255 bytes") }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        guard !wire.isEmpty, wire.count < 256 else { throw TLSError("ALPN protocols must be 1 to 255 bytes in all") }
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.fromQueue("cannot create a TLS server context") }
        let list = UnsafeMutablePointer<UInt8>.allocate(capacity: wire.count + 1)
        list[0] = UInt8(wire.count)
        for (index, byte) in wire.enumerated() { list[index + 1] = byte }
        do throws(TLSError) {
            try Self.configure(context, files: files, alpnList: list)
            guard let certificate = SSL_CTX_get0_certificate(context) else { throw TLSError("no certificate in \(files.certificateChain)") }
            certificateSubject = TLSPeerCertificate.subject(of: certificate)
            certificateNotAfter = TLSPeerCertificate.describe(time: X509_get0_notAfter(certificate))
        } catch {
            SSL_CTX_free(context)
            list.deallocate()
            throw error
        }
        self.context = context
        self.files = files
        self.alpnList = list
    }

    deinit {
        SSL_CTX_free(context)
        alpnList.deallocate()
    }

    private static func configure(_ context: OpaquePointer, files: TLSServerFiles,
                                  alpnList: UnsafeMutablePointer<UInt8>) throws(TLSError) {
        guard xsc_ssl_ctx_require_tls12(context) == 1 else { throw TLSError.fromQueue("cannot require TLS 1.2") }
        xsc_ssl_ctx_harden(context)
        guard SSL_CTX_set_cipher_list(context, tls12Ciphers) == 1 else { throw TLSError.fromQueue("cannot set the TLS 1.2 ciphers") }
        guard SSL_CTX_use_certificate_chain_file(context, files.certificateChain) == 1 else {
            throw TLSError.fromQueue("cannot load the certificate chain from \(files.certificateChain)")
        }
        // OpenSSL also refuses a key that is not the certificate's here ("key values mismatch").
        guard SSL_CTX_use_PrivateKey_file(context, files.privateKey, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.fromQueue("cannot use the private key in \(files.privateKey) with the certificate in \(files.certificateChain)")
        }
        xsc_ssl_ctx_set_alpn_protocols(context, alpnList)
        // Resumed sessions must belong to this server's verification settings.
        let sessionContext = Array("xsc-tls-server".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        switch files.clientCertificates {
        case .none:
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        case .optional, .required:
            guard let ca = files.clientCA else {
                throw TLSError("client certificates \(files.clientCertificates.rawValue) needs a client CA file")
            }
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else { throw TLSError.fromQueue("cannot load the client CA from \(ca)") }
            // Tells clients which CAs we accept, so they pick the right certificate.
            guard let names = SSL_load_client_CA_file(ca) else { throw TLSError.fromQueue("no CA certificate in \(ca)") }
            SSL_CTX_set_client_CA_list(context, names)
            let mode = files.clientCertificates == .required ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
            SSL_CTX_set_verify(context, mode, nil)
        }
    }
}

/// A verified client certificate: who it names and its SHA-256 fingerprint (the stable handle
/// to bind a partner to: a renewed certificate has a new fingerprint, the same subject).
public struct TLSPeerCertificate: Sendable, Equatable {
    /// RFC 2253, like "CN=partner-17,O=Example Ltd".
    public var subject: String
    /// Lower-case hex of the SHA-256 of the DER certificate.
    public var sha256: String

    public init(subject: String, sha256: String) {
        self.subject = subject
        self.sha256 = sha256
    }

    init(certificate: OpaquePointer) {
        subject = Self.subject(of: certificate)
        var digest = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        if X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 {
            sha256 = digest.prefix(Int(length)).map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        } else {
            sha256 = ""
        }
    }

    static func subject(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate), let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, xsc_name_flags_rfc2253()) >= 0 else { return "" }
        return readAll(bio)
    }

    static func describe(time: UnsafePointer<ASN1_TIME>?) -> String {
        guard let time, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard ASN1_TIME_print(bio, time) == 1 else { return "" }
        return readAll(bio)
    }

    private static func readAll(_ bio: OpaquePointer) -> String {
        let pending = Int(BIO_ctrl_pending(bio))
        guard pending > 0 else { return "" }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
        return String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
    }
}
