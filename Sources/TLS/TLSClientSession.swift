import COpenSSL

/// What a TLS client session could not do, in words a person can act on.
public struct TLSError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Which certificates a client trusts.
public enum TLSTrust: Sendable, Equatable {
    /// The system's trust store (Debian: /etc/ssl/certs).
    case system
    /// The CA certificates of one PEM file (a private CA, a test CA).
    case caFile(String)
}

/// One TLS 1.2+ client connection, without a socket of its own: the caller feeds it the
/// bytes the server sent (`receive`) and sends what it produces (`takeOutgoing`). Keeping the
/// socket outside lets callers wait on it their own way (non-blocking sockets, event loops)
/// and keeps every OpenSSL call in this module. The server's certificate must chain to the
/// trusted CAs and name `serverName` (which also goes out as SNI).
///
/// Not thread-safe: one task drives one session.
public final class TLSClientSession {
    public enum Progress: Equatable {
        /// Done (handshake finished, or the plaintext call did its work).
        case done
        /// Waiting for bytes from the server: send `takeOutgoing()`, then `receive` more.
        case needsInput
        /// The server closed the TLS session (close_notify).
        case closed
    }

    private let context: OpaquePointer
    private let connection: OpaquePointer
    /// Ciphertext from the server, read by OpenSSL (owned by `connection`).
    private let incoming: OpaquePointer
    /// Ciphertext for the server, written by OpenSSL (owned by `connection`).
    private let outgoing: OpaquePointer

    /// `certificate` (chain and key PEM files) is shown to servers that ask for one;
    /// `applicationProtocols` are offered with ALPN (none by default).
    public init(serverName: String, trust: TLSTrust, certificate: (chain: String, key: String)? = nil,
                applicationProtocols: [String] = []) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw Self.lastError("cannot create a TLS context") }
        guard xsc_ssl_ctx_require_tls12(context) == 1 else {
            SSL_CTX_free(context)
            throw Self.lastError("cannot require TLS 1.2")
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        let loaded: Int32
        switch trust {
        case .system: loaded = SSL_CTX_set_default_verify_paths(context)
        case .caFile(let path): loaded = SSL_CTX_load_verify_locations(context, path, nil)
        }
        guard loaded == 1 else {
            SSL_CTX_free(context)
            throw Self.lastError(trust == .system ? "cannot load the system's trusted certificates"
                                                  : "cannot load CA certificates from \(Self.describe(trust))")
        }
        if let certificate {
            guard SSL_CTX_use_certificate_chain_file(context, certificate.chain) == 1,
                  SSL_CTX_use_PrivateKey_file(context, certificate.key, SSL_FILETYPE_PEM) == 1 else {
                SSL_CTX_free(context)
                throw Self.lastError("cannot load the client certificate \(certificate.chain)")
            }
        }
        guard let connection = SSL_new(context) else {
            SSL_CTX_free(context)
            throw Self.lastError("cannot create a TLS connection")
        }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(connection)
            SSL_CTX_free(context)
            throw Self.lastError("cannot create TLS buffers")
        }
        SSL_set_bio(connection, incoming, outgoing)  // the connection owns both from here
        self.context = context
        self.connection = connection
        self.incoming = incoming
        self.outgoing = outgoing
        SSL_set_connect_state(connection)
        // The certificate must name the server (OpenSSL checks it during the handshake), and
        // the server learns which name we want (SNI) for its choice of certificate.
        guard SSL_set1_host(connection, serverName) == 1, xsc_ssl_set_server_name(connection, serverName) == 1 else {
            throw Self.lastError("cannot set the server name \(serverName)")
        }
        if !applicationProtocols.isEmpty {
            let wire = applicationProtocols.flatMap { [UInt8(truncatingIfNeeded: $0.utf8.count)] + Array($0.utf8) }
            // 0 means success here, unlike the rest of OpenSSL.
            guard SSL_set_alpn_protos(connection, wire, UInt32(wire.count)) == 0 else {
                throw Self.lastError("cannot offer ALPN \(applicationProtocols)")
            }
        }
    }

    deinit {
        SSL_free(connection)
        SSL_CTX_free(context)
    }

    /// Advances the handshake as far as the received bytes allow.
    public func handshake() throws(TLSError) -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(connection)
        if result == 1 { return .done }
        return try progress(after: result, doing: "TLS handshake")
    }

    /// Encrypts `bytes` (all of them, or throws); the ciphertext waits in `takeOutgoing()`.
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let written = bytes[offset...].withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return 0 }
                return SSL_write(connection, base, Int32(min(raw.count, Int(Int32.max))))
            }
            guard written > 0 else {
                // Memory buffers never push back, so a write that does nothing is an error.
                _ = try progress(after: written, doing: "TLS write")
                throw TLSError("TLS write made no progress")
            }
            offset += Int(written)
        }
    }

    /// Decrypts what has arrived into `buffer`: `.done` with the count, or why there is nothing.
    public func read(into buffer: inout [UInt8]) throws(TLSError) -> (Progress, Int) {
        ERR_clear_error()
        let count = buffer.withUnsafeMutableBytes { raw in SSL_read(connection, raw.baseAddress, Int32(raw.count)) }
        if count > 0 { return (.done, Int(count)) }
        return (try progress(after: count, doing: "TLS read"), 0)
    }

    /// Ciphertext received from the server.
    public func receive(_ bytes: ArraySlice<UInt8>) throws(TLSError) {
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { raw in BIO_write(incoming, raw.baseAddress, Int32(raw.count)) }
        guard written == bytes.count else { throw Self.lastError("cannot buffer received TLS bytes") }
    }

    /// Ciphertext to send to the server (empty when there is none).
    public func takeOutgoing() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(outgoing))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { raw in BIO_read(outgoing, raw.baseAddress, Int32(raw.count)) }
        return read > 0 ? Array(bytes.prefix(Int(read))) : []
    }

    /// Why an SSL_* call returned `result`. OpenSSL reads its per-thread error queue for this,
    /// which is why every call above empties it first: a task may resume on another thread.
    private func progress(after result: Int32, doing what: String) throws(TLSError) -> Progress {
        switch SSL_get_error(connection, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            let verification = SSL_get_verify_result(connection)
            if verification != Int(X509_V_OK) {
                let reason = X509_verify_cert_error_string(verification).map { String(cString: $0) } ?? "code \(verification)"
                ERR_clear_error()
                throw TLSError("\(what) failed: the server's certificate was refused (\(reason))")
            }
            throw Self.lastError("\(what) failed")
        }
    }

    private static func lastError(_ context: String) -> TLSError { TLSError.fromQueue(context) }

    private static func describe(_ trust: TLSTrust) -> String {
        switch trust {
        case .system: return "the system trust store"
        case .caFile(let path): return path
        }
    }
}
