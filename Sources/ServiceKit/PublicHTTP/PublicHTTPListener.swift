import NetIO
import RPC

/// The public HTTP/1.1 listener (the gateway's partner JSON API for clients that do not speak
/// HTTP/2): its own event loop thread and port, plain HTTP requests answered by a
/// `PlainHTTPHandler` (the same handler the gRPC port uses for HTTP/2 JSON requests). A
/// `BackgroundWorker`, so the service runner starts it after the RPC server and stops it on
/// shutdown.
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
        /// A request must arrive completely within this of the connection opening or of the
        /// previous answer; also the keep-alive idle time.
        public var requestTimeout: Duration = .seconds(10)
        public var maxRequestsPerConnection = 1000
        /// Output queued on a streaming response above which `send` waits for the client.
        public var streamHighWaterMark = 256 * 1024
        /// Turns an accepted socket into the byte stream HTTP is read from: the socket itself by
        /// default; a TLS session over it for TLS at the edge. Runs on the listener's loop.
        public var makeStream: @Sendable (TCPSocket) throws -> any ByteStream = { $0 }

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
    /// The bound port (useful when configured with port 0).
    public private(set) var port = 0

    public init(configuration: Configuration, handler: @escaping PlainHTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    public func start() throws {
        let loop = try EventLoop(name: "public-http")
        let address = try SocketAddress(numericHost: configuration.host, port: configuration.port)
        let listener = try TCPListener(address: address, reusePort: false)
        let acceptor = PublicHTTPAcceptor(listener: listener, loop: loop, handler: handler, configuration: configuration)
        try loop.register(fd: listener.fd, handler: acceptor)
        let thread = LoopThread(loop: loop)
        try thread.start()
        self.acceptor = acceptor
        self.thread = thread
        port = listener.localAddress.port
    }

    /// Stops accepting, lets answers in progress end for up to `grace`, then closes the rest.
    public func stop() async {
        guard let thread, let acceptor else { return }
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
    private let listener: TCPListener
    private let loop: EventLoop
    private let handler: PlainHTTPHandler
    private let configuration: PublicHTTPListener.Configuration
    private var connections: [Int32: PublicHTTPConnection] = [:]
    private var perPeer: [String: Int] = [:]
    let openConnections = Atomic<Int>(0)

    init(listener: TCPListener, loop: EventLoop, handler: @escaping PlainHTTPHandler,
         configuration: PublicHTTPListener.Configuration) {
        self.listener = listener
        self.loop = loop
        self.handler = handler
        self.configuration = configuration
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        while let socket = listener.accept() {
            let peer = socket.peer?.host ?? ""
            guard connections.count < configuration.maxConnections,
                  perPeer[peer, default: 0] < configuration.maxConnectionsPerPeer else {
                socket.close()
                continue
            }
            let stream: any ByteStream
            do {
                stream = try configuration.makeStream(socket)
            } catch {
                socket.close()
                continue
            }
            let connection = PublicHTTPConnection(stream: stream, loop: loop, handler: handler,
                                                  configuration: configuration) { [weak self] closed in
                guard let self else { return }
                self.connections[closed.fd] = nil
                self.perPeer[peer, default: 1] -= 1
                if self.perPeer[peer] == 0 { self.perPeer[peer] = nil }
                self.openConnections.subtract(1, ordering: .relaxed)
            }
            do {
                try connection.start()
                connections[socket.fd] = connection
                perPeer[peer, default: 0] += 1
                openConnections.add(1, ordering: .relaxed)
            } catch {
                socket.close()
            }
        }
    }

    func beginShutdown() {
        loop.deregister(fd: listener.fd)
        listener.close()
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
