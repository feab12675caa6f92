import NetIO
import TLS

/// What a call knows about the TLS its connection arrived over (nil for h2c).
public struct TLSConnectionInfo: Sendable, Equatable {
    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String
    /// What ALPN chose ("h2"), nil when the client offered none.
    public var applicationProtocol: String?
    /// The client's certificate, verified against the configured client CA (nil when the
    /// client showed none, which only `optional` client certificates allow).
    public var peerCertificate: TLSPeerCertificate?
}

enum TLSConnectionInfoKey: ServerContextKey {
    typealias Value = TLSConnectionInfo
}

extension ServerContext {
    /// The TLS of the call's connection; nil when it came over h2c.
    public var tls: TLSConnectionInfo? { self[TLSConnectionInfoKey.self] }
}

extension ServerAcceptor {
    /// The byte stream a new connection runs on: the socket itself for h2c, TLS over it with
    /// the current certificate when the server terminates TLS. The handshake runs in the
    /// connection's first reads, so `handshakeTimeout` bounds it like the HTTP/2 preface.
    func stream(for socket: TCPSocket) throws -> any ConnectionStream {
        guard let identity = configuration.tls else { return socket }
        return try TLSServerStream(socket: socket, context: identity.current, cipherInput: resources.tlsInput)
    }

    /// Hands the connection what its handshake established, for its calls' contexts.
    func attachTLS(_ stream: any ConnectionStream, to connection: ServerConnection) {
        guard let tlsStream = stream as? TLSServerStream else { return }
        tlsStream.onEstablished = { [weak connection] session in
            connection?.tls = TLSConnectionInfo(protocolVersion: session.protocolVersion,
                                                applicationProtocol: session.applicationProtocol,
                                                peerCertificate: session.peerCertificate)
        }
    }
}
