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

/// Where and with what certificate a server terminates TLS: a listener of its own beside the
/// h2c one, so health probes and callers inside the deployment keep h2c while only the TLS port
/// is published (the edge).
public struct TLSEndpoint: Sendable {
    public var host: String
    public var port: Int
    public var identity: TLSServerIdentity

    public init(host: String = "0.0.0.0", port: Int, identity: TLSServerIdentity) {
        self.host = host
        self.port = port
        self.identity = identity
    }
}

extension RPCServer {
    /// The TLS listener of one loop, beside its h2c listener and sharing its connections (called
    /// by `start` for each loop; the first loop's bound port is used by the others).
    func addTLSAcceptor(loop: EventLoop, resources: ServerLoopResources) throws {
        guard let endpoint = configuration.tls else { return }
        let address = try SocketAddress(numericHost: endpoint.host, port: tlsPort ?? endpoint.port)
        let listener = try TCPListener(address: address, reusePort: true)
        tlsPort = listener.localAddress.port
        let acceptor = ServerAcceptor(listener: listener, resources: resources, configuration: configuration,
                                      router: router, liveConnections: liveConnections, admission: admission)
        acceptor.tls = endpoint.identity
        try loop.register(fd: listener.fd, handler: acceptor)
        tlsAcceptors.append(acceptor)
    }

    /// First step of a shutdown for the TLS listeners (their connections are the loops' and
    /// are drained with the others).
    func stopAcceptingTLS() {
        for acceptor in tlsAcceptors {
            acceptor.resources.loop.execute { [acceptor] in acceptor.stopAccepting() }
        }
    }
}

extension ServerAcceptor {
    /// The byte stream a new connection runs on: the socket itself for h2c, TLS over it with
    /// the current certificate on the TLS listener. The handshake runs in the connection's
    /// first reads, so `handshakeTimeout` bounds it like the HTTP/2 preface.
    func stream(for socket: TCPSocket) throws -> any ConnectionStream {
        guard let identity = tls else { return socket }
        return try TLSServerStream(socket: socket, context: identity.current, cipherInput: resources.tlsInput)
    }

    /// Hands the connection what its handshake established, for its calls' contexts.
    func attachTLS(_ stream: any ConnectionStream, to connection: ServerConnection) {
        guard tls != nil, let tlsStream = stream as? TLSServerStream else { return }
        tlsStream.onEstablished = { [weak connection] session in
            connection?.tls = TLSConnectionInfo(protocolVersion: session.protocolVersion,
                                                applicationProtocol: session.applicationProtocol,
                                                peerCertificate: session.peerCertificate)
        }
    }
}
