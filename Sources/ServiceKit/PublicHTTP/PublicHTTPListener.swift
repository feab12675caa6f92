import NetIO
import RPC

/// The public HTTP/1.1 listener (the gateway's partner JSON API for clients that do not speak
/// HTTP/2): its own event loop thread and port, plain HTTP requests answered by a
/// `PlainHTTPHandler` (the same handler the gRPC port uses for HTTP/2 JSON requests). A
/// `BackgroundWorker`, so the service runner starts it after the RPC server and stops it on
/// shutdown.
///
/// It also serves HTTP/1.1 over TLS: the RPC server's TLS listener hands it the connections
/// whose client chose `http/1.1` (`adopt`, as the RPC server's `tlsHTTP1`), and they get the
/// same limits as its own (head and body sizes, request timeout, connection caps, counted
/// together with the plain ones).
public final class PublicHTTPListener: BackgroundWorker, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var maxHeadBytes = 16 * 1024
        public var maxHeaders = 64
        public var maxBodyBytes = 1 << 20
        /// Further connections are closed at once.
        public var maxConnections = 1024
        public var maxConnectionsPerPeer = 64
        /// How fast one client address (IPv6: its /64) may open connections, judged at accept
        /// like the RPC server's (PeerConnectionRates, the same type): `burst` at once,
        /// `perSecond` after that (burst 0: no limit); past it a connection is closed at once.
        /// No cool-down: HTTP/1.1 has no glitches to close a connection for. The TLS port's
        /// HTTP/1.1 connections were judged by the RPC server's own check when accepted there.
        public var peerRates = PeerConnectionRates.Limits(burst: 500, perSecond: 100, coolDown: .zero, kernelDropLimit: 0)
        /// A request must arrive completely within this of the connection opening or of the
        /// previous answer; also the keep-alive idle time.
        public var requestTimeout: Duration = .seconds(10)
        public var maxRequestsPerConnection = 1000
        /// Output queued on a streaming response above which `send` waits for the client.
        public var streamHighWaterMark = 256 * 1024
        /// Turns an accepted socket into the byte stream HTTP is read from: the socket itself by
        /// default; a TLS session over it for TLS at the edge. Runs on the listener's loop.
        public var makeStream: @Sendable (TCPSocket) throws -> any ByteStream = { $0 }
        /// false: no plain port of its own, only connections handed over by `adopt` (HTTP/1.1
        /// over TLS while plain HTTP is off).
        public var listensPlain = true

        public init(host: String = "0.0.0.0", port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let name = "public-http"
    public let configuration: Configuration
    private let handler: PlainHTTPHandler
    private var thread: LoopThread?
    private var acceptor: PublicHTTPAcceptor?
    /// Where `adopt` (any thread) hands connections while running.
    private let running = Mutex<(loop: EventLoop, acceptor: PublicHTTPAcceptor)?>(nil)
    /// The refusals of an acceptor that stopped (so /metrics does not go back to zero).
    private let stoppedRefusals = Mutex(ConnectionRefusals())
    /// The bound port (useful when configured with port 0); 0 without a plain listener.
    public private(set) var port = 0

    public init(configuration: Configuration, handler: @escaping PlainHTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    public func start() throws {
        let loop = try EventLoop(name: "public-http")
        var listener: TCPListener?
        if configuration.listensPlain {
            let address = try SocketAddress(numericHost: configuration.host, port: configuration.port)
            listener = try TCPListener(address: address, reusePort: false)
        }
        let acceptor = PublicHTTPAcceptor(listener: listener, loop: loop, handler: handler, configuration: configuration)
        if let listener { try loop.register(fd: listener.fd, handler: acceptor) }
        let thread = LoopThread(loop: loop)
        try thread.start()
        self.acceptor = acceptor
        self.thread = thread
        port = listener?.localAddress.port ?? 0
        running.withLock { $0 = (loop, acceptor) }
    }

    /// Connections closed at accept so far, by reason.
    public var connectionRefusals: ConnectionRefusals {
        running.withLock { $0?.acceptor.refusals } ?? stoppedRefusals.withLock { $0 }
    }

    /// `xsc_public_http_connections_refused_total{reason}` on `registry` (read at scrape time).
    public func registerMetrics(in registry: MetricsRegistry) {
        registry.counterCallback("xsc_public_http_connections_refused_total",
                                 help: "Public HTTP/1.1 connections closed at accept, by reason (peer_rate, peer_limit, server_limit).",
                                 labels: ["reason"]) { [self] in
            let refusals = connectionRefusals
            return [ConnectionRefusals.Reason.peerRate, .peerLimit, .serverLimit].map { GaugeSample([$0.rawValue], Double(refusals[$0])) }
        }
    }

    /// Serves an HTTP/1.1 connection the TLS listener handed over (any thread). Closed at once
    /// when the listener is not running or over its connection limits.
    public func adopt(_ connection: TLSHTTP1Connection) {
        guard let (loop, acceptor) = running.withLock({ $0 }) else {
            connection.stream.close()
            return
        }
        loop.execute { acceptor.open(connection.stream, peer: connection.peer, tls: connection.info) }
    }

    /// Stops accepting, lets answers in progress end for up to `grace`, then closes the rest.
    public func stop() async {
        guard let thread, let acceptor else { return }
        running.withLock { $0 = nil }
        stoppedRefusals.withLock { $0 = acceptor.refusals }
        thread.loop.execute { [acceptor] in acceptor.beginShutdown() }
        for _ in 0..<50 where acceptor.openConnections.load(ordering: .relaxed) > 0 {
            try? await Task.sleep(for: .milliseconds(100))
        }
        thread.loop.execute { [acceptor] in
            acceptor.closeAll()
            thread.loop.stop()
        }
        thread.join()
        self.thread = nil
        self.acceptor = nil
    }
}

import Synchronization

final class PublicHTTPAcceptor: IOHandler, @unchecked Sendable {
    private let listener: TCPListener?
    private let loop: EventLoop
    private let handler: PlainHTTPHandler
    private let configuration: PublicHTTPListener.Configuration
    private var connections: [Int32: PublicHTTPConnection] = [:]
    private var perPeer: [String: Int] = [:]
    private var rates: PeerConnectionRates
    private let refusalCounts = Mutex(ConnectionRefusals())
    let openConnections = Atomic<Int>(0)

    private var accepting = true

    init(listener: TCPListener?, loop: EventLoop, handler: @escaping PlainHTTPHandler,
         configuration: PublicHTTPListener.Configuration) {
        self.listener = listener
        self.loop = loop
        self.handler = handler
        self.configuration = configuration
        rates = PeerConnectionRates(limits: configuration.peerRates)
    }

    /// Connections closed at accept so far (any thread).
    var refusals: ConnectionRefusals { refusalCounts.withLock { $0 } }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard let listener else { return }
        // Unprepared: a refused connection costs an accept and a close, no socket options.
        while let socket = listener.accept(prepared: false) {
            // Per client: an IPv6 /64 is one (PeerPrefix), for the rate and the connection cap.
            let peer = PeerPrefix.key(forHost: socket.peer?.host ?? "")
            guard accepting else {
                socket.close()
                continue
            }
            if let refusal = rates.admit(peer, now: .now()) == .admitted ? refusalByCount(peer) : .peerRate {
                refuse(socket, for: refusal)
                continue
            }
            socket.prepareAccepted()
            let stream: any ByteStream
            do {
                stream = try configuration.makeStream(socket)
            } catch {
                socket.close()
                continue
            }
            open(stream, peer: peer, tls: nil, admitted: true)
        }
    }

    private func refuse(_ stream: any ByteStream, for reason: ConnectionRefusals.Reason) {
        refusalCounts.withLock { $0.counts[reason, default: 0] += 1 }
        stream.close()
    }

    /// Why one more connection from `peer` would be past the connection counts (nil: it is not).
    private func refusalByCount(_ peer: String) -> ConnectionRefusals.Reason? {
        if connections.count >= configuration.maxConnections { return .serverLimit }
        if perPeer[peer, default: 0] >= configuration.maxConnectionsPerPeer { return .peerLimit }
        return nil
    }

    /// Serves a connection: an accepted socket, or one handed over by the TLS listener (checked
    /// against the same limits here).
    func open(_ stream: any ByteStream, peer host: String, tls: TLSConnectionInfo?, admitted: Bool = false) {
        let peer = PeerPrefix.key(forHost: host)
        if !admitted {
            guard accepting else { return stream.close() }
            if let refusal = refusalByCount(peer) { return refuse(stream, for: refusal) }
        }
        let connection = PublicHTTPConnection(stream: stream, loop: loop, handler: handler,
                                              configuration: configuration, tls: tls) { [weak self] closed in
            guard let self else { return }
            self.connections[closed.fd] = nil
            self.perPeer[peer, default: 1] -= 1
            if self.perPeer[peer] == 0 { self.perPeer[peer] = nil }
            self.openConnections.subtract(1, ordering: .relaxed)
        }
        // Counted before `start`, which may already read and answer (a TLS stream's buffered request).
        connections[stream.fd] = connection
        perPeer[peer, default: 0] += 1
        openConnections.add(1, ordering: .relaxed)
        do {
            try connection.start()
        } catch {
            connection.close()
        }
    }

    func beginShutdown() {
        accepting = false
        if let listener {
            loop.deregister(fd: listener.fd)
            listener.close()
        }
        for connection in Array(connections.values) {
            connection.shuttingDown = true
            // Idle keep-alive connections go now; answers in progress (feeds see the flag) end first.
            if connection.isIdle { connection.close() }
        }
    }

    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
        connections.removeAll()
    }
}
