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
        acceptor.dropCoolingDownPeersInKernel()
        tlsAcceptors.append(acceptor)
    }

    /// First step of a shutdown for the TLS listeners (their connections are the loops' and
    /// are drained with the others; handshakes in progress end here).
    func stopAcceptingTLS() {
        for acceptor in tlsAcceptors {
            acceptor.resources.loop.execute { [acceptor] in
                acceptor.stopAccepting()
                for handshake in Array(acceptor.resources.handshakes.values) { handshake.end() }
            }
        }
    }
}

extension ServerAcceptor {
    /// Starts the TLS handshake of an admitted connection on the TLS listener; the protocol
    /// comes after it (`handshakeEnded`). Bounded by `handshakeTimeout` like an h2c preface.
    func beginHandshake(_ socket: TCPSocket, peer: String, identity: TLSServerIdentity) throws {
        let stream = try TLSServerStream(socket: socket, context: identity.current, cipherInput: resources.tlsInput)
        let handshake = TLSHandshake(stream: stream, peer: peer, acceptor: self)
        try resources.loop.register(fd: socket.fd, handler: handshake)
        resources.handshakes[ObjectIdentifier(handshake)] = handshake
        handshake.timer = resources.loop.schedule(at: MonotonicTime.now().adding(configuration.handshakeTimeout)) { [weak handshake] in
            handshake?.end()
        }
    }

    /// The handshake is done: HTTP/2 (gRPC, and JSON over h2) when ALPN chose h2, or when the
    /// client offered no ALPN and nothing else is configured; the HTTP/1.1 handling otherwise.
    func handshakeEnded(_ handshake: TLSHandshake, established: Bool) {
        resources.handshakes[ObjectIdentifier(handshake)] = nil
        if let timer = handshake.timer { resources.loop.cancelTimer(timer) }
        resources.loop.deregister(fd: handshake.stream.fd)
        let stream = handshake.stream, peer = handshake.peer
        guard established, !acceptingStopped else {
            stream.close()
            admission.connectionClosed(peer: peer)
            return
        }
        let session = stream.session
        let info = TLSConnectionInfo(protocolVersion: session.protocolVersion, applicationProtocol: session.applicationProtocol,
                                     peerCertificate: session.peerCertificate)
        if info.applicationProtocol != "h2", let http1 = configuration.tlsHTTP1 {
            // Another loop's connection from here on: the admission of HTTP/2 connections no
            // longer counts it (the HTTP/1.1 side has its own connection limits).
            admission.connectionClosed(peer: peer)
            stream.leaveLoopBuffer()
            http1(TLSHTTP1Connection(stream: stream, info: info, peer: peer))
            return
        }
        do {
            let connection = try serve(stream, peer: peer, tls: info)
            // Records that arrived with the handshake's end are already decrypted or buffered:
            // the socket will not turn readable for them.
            if stream.hasBufferedInput {
                resources.loop.executeLocal { [weak connection] in
                    connection?.transport.handleIO(readable: true, writable: false, hangup: false)
                }
            }
        } catch {
            stream.close()
            admission.connectionClosed(peer: peer)
        }
    }
}

/// One TLS connection while its handshake runs, on the TLS listener's loop.
final class TLSHandshake: IOHandler {
    let stream: TLSServerStream
    let peer: String
    private unowned let acceptor: ServerAcceptor
    var timer: TimerID?
    private var wantsWritable = false
    private var ended = false

    init(stream: TLSServerStream, peer: String, acceptor: ServerAcceptor) {
        self.stream = stream
        self.peer = peer
        self.acceptor = acceptor
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard !ended else { return }
        if writable, case .failed = stream.write([], from: 0) { return end() }
        switch stream.advanceHandshake() {
        case .established:
            finish(established: true)
        case .ended:
            end()
        case .waiting:
            if hangup && !readable { return end() }
            let wanted = stream.hasPendingOutput
            if wanted != wantsWritable {
                wantsWritable = wanted
                acceptor.resources.loop.modify(fd: stream.fd, readable: true, writable: wanted)
            }
        }
    }

    /// Closes a handshake that failed, took too long, or outlived its listener.
    func end() { finish(established: false) }

    private func finish(established: Bool) {
        guard !ended else { return }
        ended = true
        acceptor.handshakeEnded(self, established: established)
    }
}

/// A TLS connection whose client chose HTTP/1.1 (ALPN `http/1.1`, or no ALPN), handed by the RPC
/// server's TLS listener to the process's HTTP/1.1 connection handling (`tlsHTTP1`). The handshake
/// is done and the stream is off the RPC loop: its new owner registers `stream.fd` with its own
/// loop and reads at once (records may already wait in `stream`). Sendable because it changes
/// threads exactly once, from the TLS loop to its new owner.
public struct TLSHTTP1Connection: @unchecked Sendable {
    public let stream: TLSServerStream
    public let info: TLSConnectionInfo
    /// The client's address (host), for per-client connection limits.
    public let peer: String
}

/// Takes HTTP/1.1 connections from the TLS listener (the gateway's public HTTP listener).
public typealias TLSHTTP1Handoff = @Sendable (TLSHTTP1Connection) -> Void
