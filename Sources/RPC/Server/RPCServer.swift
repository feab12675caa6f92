import HTTP2
import NetIO
import Synchronization
import TLS

/// A gRPC server over h2c: one epoll loop per configured core, each with its own listener on
/// the shared port (SO_REUSEPORT), its connections, and the handler tasks of their calls.
public final class RPCServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var eventLoops: Int
        /// Larger request messages are refused with RESOURCE_EXHAUSTED, judged on the prefix.
        public var maxReceiveMessageSize = 4 * 1024 * 1024
        public var http2 = HTTP2Settings()
        /// Glitches (GlitchBudget: streams the client resets while they are served, malformed
        /// requests, protocol errors) a connection may cause at once, and how many more per
        /// second it earns back; past that it is closed with GOAWAY(ENHANCE_YOUR_CALM). The
        /// refill is generous because one connection from the gateway carries every user's
        /// cancels; a rapid-reset client spends the burst within one read.
        public var maxGlitchesPerConnection = 100
        public var glitchRefillPerSecond = 100
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// Admission control (AdmissionControl): connections past these are closed at once;
        /// calls past `maxCallsInFlight` get RESOURCE_EXHAUSTED with a RetryInfo of
        /// `busyRetryAfter` (health and reflection are always admitted).
        public var maxConnections = 4096
        public var maxConnectionsPerPeer = 1024
        public var maxCallsInFlight = 4096
        /// Unary calls in flight, counted besides `maxCallsInFlight` (nil: no cap of their own).
        /// A service whose unary calls each need a database connection sets it below what its
        /// pool plus the pool's waiters carry (ServiceHost does), so overload is refused here at
        /// once with RESOURCE_EXHAUSTED + RetryInfo instead of after queueing for a connection.
        /// Streams are not counted: a watch holds no connection while it waits.
        public var maxUnaryCallsInFlight: Int?
        public var busyRetryAfter: Duration = .milliseconds(100)
        /// Per client address, judged at accept before any TLS/HTTP/2 work (PeerConnectionRates):
        /// `peerConnectBurst` connections at once and `peerConnectRate` a second after that
        /// (burst 0: no rate limit); after a connection was closed for glitches the address
        /// may open one connection a second for `peerCoolDown`, doubled per repeat up to
        /// `peerMaxCoolDown` (zero: no cool-down). Generous on purpose: clients keep their
        /// connections, and load tests and the gateway's backend connections all come from one
        /// address; a reconnect loop (a rapid-reset attacker's ~300 a second) is what it stops.
        public var peerConnectBurst = 500
        public var peerConnectRate = 100
        public var peerCoolDown: Duration = .seconds(10)
        public var peerMaxCoolDown: Duration = .seconds(300)
        /// Client addresses the rate table remembers at most (idle ones are forgotten first).
        public var peerTableSize = 4096
        /// While an address cools down, its connection attempts between its one connection a
        /// second are dropped in the kernel (a socket filter on every listener, at most
        /// PeerDropFilter.maxPrefixes addresses at once) instead of being accepted and closed:
        /// a reconnect loop then costs the server nothing. A legitimate client sharing the
        /// address sees its connect answered after its TCP retransmits the SYN (about a second)
        /// rather than a connection closed at once. false: the refusal at accept alone.
        public var peerKernelDrop = true
        /// Block SIGINT/SIGTERM at start so `waitUntilShutdown` can receive them.
        public var handlesTerminationSignals = true
        public var keepalive = KeepalivePolicy()
        /// A connection whose client has not completed the HTTP/2 preface (magic + SETTINGS)
        /// by then is closed: a slow or silent client cannot hold a connection for nothing.
        public var handshakeTimeout: Duration = .seconds(10)
        /// A second listener that terminates TLS (ServerTLS); `port` stays h2c for probes and
        /// callers inside the deployment. nil: h2c only.
        public var tls: TLSEndpoint?
        /// Takes the TLS listener's connections whose client chose HTTP/1.1 (ALPN `http/1.1` or
        /// none), for a process that answers HTTP/1.1 (the gateway's partner API); the TLS
        /// endpoint should then offer `http/1.1` after `h2`. nil: such clients get HTTP/2.
        public var tlsHTTP1: TLSHTTP1Handoff?
        /// Answers paths no registered service has (a proxy's routing); nil means UNIMPLEMENTED.
        public var fallback: (@Sendable (String) -> RPCMethod?)?
        /// Run in order before each call, and in reverse order after it.
        public var interceptors: [any ServerInterceptor] = []
        /// Services reflection lists beside the registered ones: what a proxy reaches through
        /// `fallback` (their descriptors must be embedded).
        public var reflectedServiceNames: [String] = []
        /// Answers HTTP/2 requests whose content-type is not gRPC (the gateway's partner JSON
        /// API, ServerConnection+PlainHTTP); nil refuses them with 415 as before.
        public var plainHTTP: PlainHTTPHandler?
        public var plainHTTPLimits = PlainHTTPLimits()

        public init(host: String = "0.0.0.0", port: Int, eventLoops: Int = 1) {
            self.host = host
            self.port = port
            self.eventLoops = max(1, eventLoops)
        }
    }

    public let configuration: Configuration
    /// Health of the server ("") and of each service; set NOT_SERVING on shutdown.
    public let health: HealthStatusStore
    let router: MethodRouter
    private var threads: [LoopThread] = []
    private var acceptors: [ServerAcceptor] = []
    var tlsAcceptors: [ServerAcceptor] = []
    let liveConnections = ConnectionCount()
    let admission: AdmissionControl
    public private(set) var port: Int = 0
    /// The TLS listener's port once started (nil without TLS).
    public internal(set) var tlsPort: Int?

    /// Serves `services` plus the standard ones every server has: health and reflection.
    public init(configuration: Configuration, services: [any RPCServiceProvider]) {
        self.configuration = Self.withInboundBackpressure(configuration)
        admission = AdmissionControl(limits: .init(maxConnections: configuration.maxConnections,
                                                   maxConnectionsPerPeer: configuration.maxConnectionsPerPeer,
                                                   maxCallsInFlight: configuration.maxCallsInFlight,
                                                   maxUnaryCallsInFlight: configuration.maxUnaryCallsInFlight,
                                                   retryAfter: configuration.busyRetryAfter,
                                                   peerRates: .init(burst: configuration.peerConnectBurst,
                                                                    perSecond: configuration.peerConnectRate,
                                                                    coolDown: configuration.peerCoolDown,
                                                                    maxCoolDown: configuration.peerMaxCoolDown,
                                                                    tableSize: max(1, configuration.peerTableSize),
                                                                    kernelDropLimit: configuration.peerKernelDrop ? PeerDropFilter.maxPrefixes : 0)))
        let names = services.map { $0.rpcService.name }
        let health = HealthStatusStore(serving: [""] + names + [HealthService.serviceName])
        let reflection = ReflectionService(serviceNames: names + [HealthService.serviceName] + configuration.reflectedServiceNames)
        let standard: [any RPCServiceProvider] = [HealthService(store: health), reflection.v1, reflection.v1alpha]
        self.health = health
        self.router = MethodRouter(services: (services + standard).map(\.rpcService),
                                   fallback: configuration.fallback)
    }

    public var serviceNames: [String] { router.serviceNames }

    /// Calls running now (admitted and not finished), for metrics.
    public var callsInFlight: Int { admission.callsInFlight }

    /// Connections closed at accept so far, by reason, for metrics.
    public var connectionRefusals: ConnectionRefusals { admission.refusals }

    /// Times an address was blocked in the kernel so far (`peerKernelDrop`), for metrics: its
    /// connection attempts are then dropped unseen, so they cannot be counted one by one.
    public var kernelBlocks: Int { admission.kernelBlocksStarted }

    /// Calls give received bytes back as their handlers read them (ServerCall), so the client's
    /// windows bound what a connection can make the server hold. A message is only handed over
    /// complete, so one stream's window must fit the largest message, and the connection's at
    /// least one stream's.
    static func withInboundBackpressure(_ configuration: Configuration) -> Configuration {
        var adjusted = configuration
        adjusted.http2.manualWindowUpdates = true
        let largest = UInt32(clamping: configuration.maxReceiveMessageSize + MessageFramer.prefixLength)
        adjusted.http2.initialWindowSize = max(configuration.http2.initialWindowSize, largest)
        adjusted.http2.connectionWindowSize = max(configuration.http2.connectionWindowSize,
                                                  Int32(clamping: adjusted.http2.initialWindowSize))
        return adjusted
    }

    /// Binds and starts serving; returns once every loop runs.
    public func start() throws {
        if configuration.handlesTerminationSignals { TerminationSignals.block() }
        var boundPort = configuration.port
        for index in 0..<configuration.eventLoops {
            let loop = try EventLoop(name: "rpc-\(index)")
            let address = try SocketAddress(numericHost: configuration.host, port: boundPort)
            let listener = try TCPListener(address: address, reusePort: true)
            boundPort = listener.localAddress.port
            let resources = ServerLoopResources(loop: loop)
            let acceptor = ServerAcceptor(listener: listener, resources: resources, configuration: configuration,
                                          router: router, liveConnections: liveConnections, admission: admission)
            // Registered before the loop thread starts, so no other thread touches the loop yet.
            try loop.register(fd: listener.fd, handler: acceptor)
            acceptor.dropCoolingDownPeersInKernel()
            acceptors.append(acceptor)
            try addTLSAcceptor(loop: loop, resources: resources)
            threads.append(LoopThread(loop: loop))
        }
        port = boundPort
        for thread in threads { try thread.start() }
    }

    /// Blocks until SIGINT or SIGTERM, then shuts down gracefully.
    public func waitUntilShutdown() {
        _ = TerminationSignals.wait()
        shutdown()
    }

    /// Graceful shutdown: stop accepting, GOAWAY in two phases so no in-flight stream is lost,
    /// let calls finish until the grace period ends, then close what is left and stop the loops.
    public func shutdown() {
        health.markAllNotServing()
        for acceptor in acceptors {
            acceptor.resources.loop.execute { [acceptor] in
                acceptor.stopAccepting()
                for connection in acceptor.resources.connections.values { connection.beginShutdown() }
            }
        }
        stopAcceptingTLS()
        // One round trip for the shutdown notice to reach clients before the final GOAWAY.
        sleepMilliseconds(100)
        for acceptor in acceptors {
            acceptor.resources.loop.execute { [acceptor] in
                for connection in acceptor.resources.connections.values { connection.finishShutdown() }
            }
        }
        let deadline = MonotonicTime.now().adding(configuration.shutdownGracePeriod)
        while liveConnections.value.load(ordering: .relaxed) > 0 && MonotonicTime.now() < deadline {
            sleepMilliseconds(10)
        }
        for acceptor in acceptors {
            acceptor.resources.loop.execute { [acceptor] in
                for connection in acceptor.resources.connections.values { connection.close() }
                acceptor.resources.loop.stop()
            }
        }
        for thread in threads { thread.join() }
        threads.removeAll()
    }
}
