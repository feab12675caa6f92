import NetIO

/// The HTTP/1.1 admin listener (/metrics, /healthz, /readyz) on an event loop thread of its
/// own, so a scrape never competes with RPC handlers on their loops and a stuck RPC loop still
/// answers health checks.
public final class AdminListener: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Larger request heads are answered 431 and the connection closed.
        public var maxRequestHeadBytes = 8 * 1024
        /// Further connections are closed at once; scrapers and probes need a handful.
        public var maxConnections = 64
        /// Time a connection gets to send a complete request (after opening or an answer).
        public var requestTimeout: Duration = .seconds(10)

        public init(host: String = "0.0.0.0", port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let configuration: Configuration
    private let routes: AdminRoutes
    private var thread: LoopThread?
    private var acceptor: AdminAcceptor?
    /// The bound port (useful when configured with port 0).
    public private(set) var port = 0

    /// `isReady` answers /readyz; it runs on the admin thread, so it must only read a flag.
    public init(configuration: Configuration, metrics: MetricsRegistry, isReady: @escaping @Sendable () -> Bool) {
        self.configuration = configuration
        self.routes = AdminRoutes(metrics: metrics, isReady: isReady)
    }

    public func start() throws {
        let loop = try EventLoop(name: "admin")
        let address = try SocketAddress(numericHost: configuration.host, port: configuration.port)
        let listener = try TCPListener(address: address, reusePort: false)
        var parser = HTTPRequestParser()
        parser.maxHeadBytes = configuration.maxRequestHeadBytes
        let acceptor = AdminAcceptor(listener: listener, loop: loop, routes: routes, parser: parser,
                                     configuration: configuration)
        // Registered before the thread starts: no other thread touches the loop yet.
        try loop.register(fd: listener.fd, handler: acceptor)
        let thread = LoopThread(loop: loop)
        try thread.start()
        self.acceptor = acceptor
        self.thread = thread
        port = listener.localAddress.port
    }

    /// Closes the listener and every connection, and ends the thread.
    public func stop() {
        guard let thread, let acceptor else { return }
        thread.loop.execute { [acceptor] in
            acceptor.closeAll()
            thread.loop.stop()
        }
        thread.join()
        self.thread = nil
        self.acceptor = nil
    }
}

/// Accepts admin connections on the admin loop and keeps them until they close.
final class AdminAcceptor: IOHandler, @unchecked Sendable {
    private let listener: TCPListener
    private let loop: EventLoop
    private let routes: AdminRoutes
    private let parser: HTTPRequestParser
    private let configuration: AdminListener.Configuration
    private var connections: [Int32: AdminConnection] = [:]

    init(listener: TCPListener, loop: EventLoop, routes: AdminRoutes, parser: HTTPRequestParser,
         configuration: AdminListener.Configuration) {
        self.listener = listener
        self.loop = loop
        self.routes = routes
        self.parser = parser
        self.configuration = configuration
    }

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        while let socket = listener.accept() {
            guard connections.count < configuration.maxConnections else {
                socket.close()
                continue
            }
            let connection = AdminConnection(socket: socket, loop: loop, routes: routes, parser: parser,
                                             requestTimeout: configuration.requestTimeout) { [weak self] closed in
                self?.connections[closed.fd] = nil
            }
            do {
                try connection.start()
                connections[socket.fd] = connection
            } catch {
                socket.close()
            }
        }
    }

    func closeAll() {
        loop.deregister(fd: listener.fd)
        listener.close()
        for connection in Array(connections.values) { connection.close() }
        connections.removeAll()
    }
}
