import HTTP2
import NetIO
import ProtoCodec
import Synchronization
import TLS

/// What the connections of one loop share: its read buffer, its protobuf arena and the
/// prebuilt header lists of the fast path. Loop thread only.
final class ServerLoopResources {
    let loop: EventLoop
    let readBuffer: ReadBuffer
    let arena = ProtoArena()
    /// Output queued per stream above which a streaming `send` waits.
    let highWaterMark = 256 * 1024
    let responseHeaders: HTTP2HeaderList
    let okTrailers: HTTP2HeaderList
    var connections: [ObjectIdentifier: ServerConnection] = [:]
    /// Ciphertext read from TLS connections' sockets (ServerTLS), made on first use.
    lazy var tlsInput = ReadBuffer(size: 32 * 1024)
    /// TLS connections still in their handshake (ServerTLS), closed when the server stops.
    var handshakes: [ObjectIdentifier: TLSHandshake] = [:]

    init(loop: EventLoop, readBufferSize: Int = 64 * 1024) {
        self.loop = loop
        self.readBuffer = ReadBuffer(size: readBufferSize)
        responseHeaders = HTTP2HeaderList([(":status", "200"), ("content-type", "application/grpc")])
        okTrailers = HTTP2HeaderList([("grpc-status", "0")])
    }
}

/// Accepts connections on one loop's listener.
final class ServerAcceptor: IOHandler {
    let listener: TCPListener
    let resources: ServerLoopResources
    let configuration: RPCServer.Configuration
    let router: MethodRouter
    let liveConnections: ConnectionCount
    let admission: AdmissionControl
    var acceptingStopped = false
    /// Set on the TLS listener's acceptor (ServerTLS): its connections run over TLS.
    var tls: TLSServerIdentity?
    /// The listener's kernel drop of cooling-down addresses (nil when turned off).
    private var kernelDrop: ListenerKernelDrop?

    init(listener: TCPListener, resources: ServerLoopResources, configuration: RPCServer.Configuration,
         router: MethodRouter, liveConnections: ConnectionCount, admission: AdmissionControl) {
        self.admission = admission
        self.listener = listener
        self.resources = resources
        self.configuration = configuration
        self.router = router
        self.liveConnections = liveConnections
    }

    /// Connections taken per wake-up: the listener is level-triggered, so the rest are taken on
    /// the loop's next turn, after the connections that are ready have been served - a flood of
    /// connections cannot hold the loop away from its clients for long.
    static let acceptsPerWakeup = 32

    func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        guard readable, !acceptingStopped else { return }
        for _ in 0..<Self.acceptsPerWakeup {
            guard let socket = listener.accept(prepared: false) else { return }
            let peer = socket.peer?.host ?? ""
            // Past the limits (counts, the address's rate or cool-down) the connection is
            // closed before any socket option, TLS or HTTP/2 work: a flood of connections
            // costs an accept and a close each, nothing more.
            guard admission.admitConnection(peer: peer) else {
                socket.close()
                continue
            }
            socket.prepareAccepted()
            do {
                if let tls {
                    // What follows the handshake is what ALPN chooses (ServerTLS).
                    try beginHandshake(socket, peer: peer, identity: tls)
                } else {
                    try serve(socket, peer: peer)
                }
            } catch {
                admission.connectionClosed(peer: peer)
                socket.close()
            }
        }
    }

    /// Serves HTTP/2 (gRPC) on an admitted connection's stream.
    @discardableResult
    func serve(_ stream: any ConnectionStream, peer: String, tls: TLSConnectionInfo? = nil) throws -> ServerConnection {
        let connection = try ServerConnection(socket: stream, resources: resources,
                                              configuration: configuration, router: router, admission: admission)
        connection.tls = tls
        resources.connections[ObjectIdentifier(connection)] = connection
        liveConnections.value.add(1, ordering: .relaxed)
        connection.onClose = { [resources, liveConnections, admission] closed in
            resources.connections[ObjectIdentifier(closed)] = nil
            liveConnections.value.subtract(1, ordering: .relaxed)
            admission.connectionClosed(peer: peer)
        }
        do {
            try connection.start()
        } catch {
            connection.onClose = nil
            resources.connections[ObjectIdentifier(connection)] = nil
            liveConnections.value.subtract(1, ordering: .relaxed)
            throw error
        }
        return connection
    }

    /// Drops cooling-down addresses' connection attempts in the kernel, at this listener
    /// (`peerKernelDrop`). Called before the loop runs.
    func dropCoolingDownPeersInKernel() {
        guard configuration.peerKernelDrop else { return }
        let drop = ListenerKernelDrop(listener: listener, loop: resources.loop, admission: admission)
        drop.start()
        kernelDrop = drop
    }

    func stopAccepting() {
        acceptingStopped = true
        kernelDrop?.stop()
        resources.loop.deregister(fd: listener.fd)
        listener.close()
    }
}

/// Open connections across all loops, for the shutdown wait.
final class ConnectionCount: Sendable {
    let value = Atomic<Int>(0)
}
