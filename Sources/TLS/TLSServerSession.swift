import COpenSSL

/// One TLS server connection over memory buffers, the server side of `TLSClientSession`: the
/// caller feeds it what the client sent (`receive`), moves what it produces
/// (`takeOutgoing(appendingTo:)`) to its socket, and reads and writes plaintext. No socket of
/// its own, so the caller's event loop keeps doing all waiting, and every OpenSSL call stays
/// in this module.
///
/// Not thread-safe: one loop thread drives one session.
public final class TLSServerSession {
    public typealias Progress = TLSClientSession.Progress

    /// Kept alive for the session: a reload replaces the server's context, not this one's.
    public let context: TLSServerContext
    private let connection: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    public private(set) var isEstablished = false

    public init(context: TLSServerContext) throws(TLSError) {
        ERR_clear_error()
        guard let connection = SSL_new(context.context) else { throw TLSError.fromQueue("cannot create a TLS connection") }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(connection)
            throw TLSError.fromQueue("cannot create TLS buffers")
        }
        // An empty memory buffer means "wait for more", not end of file.
        BIO_ctrl(incoming, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        BIO_ctrl(outgoing, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(connection, incoming, outgoing)
        SSL_set_accept_state(connection)
        self.context = context
        self.connection = connection
        self.incoming = incoming
        self.outgoing = outgoing
    }

    deinit {
        SSL_free(connection)
    }

    /// Advances the handshake as far as the received bytes allow (its replies wait in
    /// `takeOutgoing`, also when it fails: they carry the alert telling the client why).
    public func handshake() throws(TLSError) -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(connection)
        if result == 1 {
            isEstablished = true
            return .done
        }
        return try progress(after: result, doing: "TLS handshake")
    }

    /// Ciphertext received from the client.
    public func receive(_ bytes: ArraySlice<UInt8>) throws(TLSError) {
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { raw in BIO_write(incoming, raw.baseAddress, Int32(raw.count)) }
        guard written == bytes.count else { throw TLSError.fromQueue("cannot buffer received TLS bytes") }
    }

    /// Decrypts into `buffer[offset...]`: `.done` with the count, or why there is nothing.
    public func read(into buffer: inout [UInt8], at offset: Int) throws(TLSError) -> (Progress, Int) {
        ERR_clear_error()
        let room = Int32(clamping: buffer.count - offset)
        guard room > 0 else { return (.done, 0) }
        let count = buffer.withUnsafeMutableBytes { raw in SSL_read(connection, raw.baseAddress! + offset, room) }
        if count > 0 { return (.done, Int(count)) }
        return (try progress(after: count, doing: "TLS read"), 0)
    }

    /// Encrypts all of `bytes`; the ciphertext waits in `takeOutgoing`. Only once established.
    public func write(_ bytes: ArraySlice<UInt8>) throws(TLSError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            ERR_clear_error()
            let written = bytes[offset...].withUnsafeBytes { raw in
                SSL_write(connection, raw.baseAddress, Int32(clamping: raw.count))
            }
            guard written > 0 else {
                _ = try progress(after: written, doing: "TLS write")
                throw TLSError("TLS write made no progress")
            }
            offset += Int(written)
        }
    }

    /// Queues a close_notify for the client (what follows is `takeOutgoing`).
    public func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(connection)
        ERR_clear_error()
    }

    /// Whether ciphertext for the client waits.
    public var hasOutgoing: Bool { BIO_ctrl_pending(outgoing) > 0 }

    /// Moves the ciphertext for the client to the end of `bytes`.
    public func takeOutgoing(appendingTo bytes: inout [UInt8]) {
        let pending = Int(BIO_ctrl_pending(outgoing))
        guard pending > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: pending))
        let read = bytes.withUnsafeMutableBytes { raw in BIO_read(outgoing, raw.baseAddress! + start, Int32(pending)) }
        bytes.removeLast(pending - max(0, Int(read)))
    }

    /// Whether decrypted or received bytes wait to be read without new input from the socket.
    public var hasBufferedInput: Bool {
        SSL_pending(connection) > 0 || BIO_ctrl_pending(incoming) > 0
    }

    /// The protocol ALPN chose ("h2"), nil when the client offered none.
    public var applicationProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(connection, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String { String(cString: SSL_get_version(connection)) }

    /// The client's certificate once the handshake verified it (nil when it showed none).
    public var peerCertificate: TLSPeerCertificate? {
        guard isEstablished, SSL_get_verify_result(connection) == Int(X509_V_OK),
              let certificate = xsc_ssl_peer_certificate(connection) else { return nil }
        defer { X509_free(certificate) }
        return TLSPeerCertificate(certificate: certificate)
    }

    private func progress(after result: Int32, doing what: String) throws(TLSError) -> Progress {
        switch SSL_get_error(connection, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default:
            let verification = SSL_get_verify_result(connection)
            if verification != Int(X509_V_OK) {
                let reason = X509_verify_cert_error_string(verification).map { String(cString: $0) } ?? "code \(verification)"
                ERR_clear_error()
                throw TLSError("\(what) failed: the client's certificate was refused (\(reason))")
            }
            throw TLSError.fromQueue("\(what) failed")
        }
    }
}
