import HTTP2
import NetIO
import ProtoCodec

/// The loop-side half of a channel: one connection at a time, connected lazily, reconnected
/// with jittered exponential backoff. Calls that arrive while no connection is up wait for it
/// when they asked to (`waitForReady`), and otherwise fail fast with UNAVAILABLE once a
/// connection attempt has failed.
final class ChannelCore: @unchecked Sendable {
    enum State {
        case idle
        case connecting(Connector)
        case ready(ClientConnection)
        case backingOff(until: MonotonicTime)
        case closed
    }

    let host: String
    let port: Int
    let loop: EventLoop
    let arena = ProtoArena()
    let maxMessageSize: Int
    private let readBuffer = ReadBuffer()
    private let settings: HTTP2Settings
    private var state = State.idle
    private var waiting: [ClientStream] = []
    private var failedAttempts = 0
    private var lastError = "not connected yet"
    private var retryTimer: TimerID?

    init(host: String, port: Int, loop: EventLoop, settings: HTTP2Settings, maxMessageSize: Int) {
        self.host = host
        self.port = port
        self.loop = loop
        self.settings = settings
        self.maxMessageSize = maxMessageSize
    }

    private var authority: String { "\(host):\(port)" }

    /// Starts a call (loop thread).
    func start(_ stream: ClientStream) {
        if let deadline = stream.deadline {
            // The stream itself, held strongly: its end cancels the timer, which drops it (a weak
            // capture gave every call a side table, a closure an allocation).
            stream.deadlineTimer = (loop.schedule(at: deadline, target: stream), loop)
        }
        switch state {
        case .ready(let connection) where connection.isUsable:
            connection.open(stream)
        case .closed:
            stream.fail(RPCError(code: .unavailable, message: "the channel to \(authority) is closed"))
        case .backingOff where !stream.options.waitForReady:
            stream.fail(RPCError(code: .unavailable, message: "no connection to \(authority): \(lastError)"))
        case .backingOff, .connecting:
            waiting.append(stream)
        case .idle, .ready:
            waiting.append(stream)
            connect()
        }
    }

    private func connect() {
        do {
            // Numeric hosts resolve without blocking; names are rare here (service names in
            // a deployment) and getaddrinfo answers them from /etc/hosts or a nearby resolver.
            let address = try SocketAddress.resolve(host: host, port: port)
            let socket = try TCPSocket.connect(to: address)
            let connector = Connector(socket: socket, loop: loop) { [weak self] result in
                self?.connectFinished(result)
            }
            state = .connecting(connector)
            try connector.start()
        } catch {
            connectFinished(.failure(error as? NetIOError ?? .resolutionFailed(host)))
        }
    }

    private func connectFinished(_ result: Result<TCPSocket, NetIOError>) {
        switch result {
        case .success(let socket):
            do {
                let connection = try ClientConnection(socket: socket, loop: loop, readBuffer: readBuffer,
                                                      authority: authority, settings: settings)
                connection.onClose = { [weak self] closed in self?.connectionClosed(closed) }
                try connection.start()
                failedAttempts = 0
                state = .ready(connection)
                let pending = waiting
                waiting.removeAll()
                for stream in pending where !stream.isFinished { connection.open(stream) }
            } catch {
                connectFailed("\(error)")
            }
        case .failure(let error):
            connectFailed(error.description)
        }
    }

    private func connectFailed(_ reason: String) {
        lastError = reason
        failedAttempts += 1
        let delay = backoffDelay(attempt: failedAttempts)
        let until = MonotonicTime.now().adding(nanoseconds: delay)
        state = .backingOff(until: until)
        let pending = waiting
        waiting = pending.filter { $0.options.waitForReady && !$0.isFinished }
        for stream in pending where !stream.options.waitForReady {
            stream.fail(RPCError(code: .unavailable, message: "cannot connect to \(authority): \(reason)"))
        }
        retryTimer = loop.schedule(at: until) { [weak self] in self?.backoffEnded() }
    }

    private func backoffEnded() {
        retryTimer = nil
        guard case .backingOff = state else { return }
        state = .idle
        waiting.removeAll { $0.isFinished }
        if !waiting.isEmpty { connect() }
    }

    private func connectionClosed(_ connection: ClientConnection) {
        if case .ready(let current) = state, current === connection { state = .idle }
    }

    /// 100 ms doubling to 5 s, with ±20% jitter so many clients do not reconnect in step.
    private func backoffDelay(attempt: Int) -> UInt64 {
        let base: UInt64 = min(5_000_000_000, 100_000_000 << UInt64(min(attempt - 1, 6)))
        let jitter = UInt64.random(in: 0...(base / 5 * 2))
        return base - base / 5 + jitter
    }

    func close() {
        switch state {
        case .ready(let connection): connection.close()
        case .connecting(let connector): connector.abandon()
        default: break
        }
        state = .closed
        if let retryTimer { loop.cancelTimer(retryTimer) }
        let pending = waiting
        waiting.removeAll()
        for stream in pending { stream.fail(RPCError(code: .unavailable, message: "the channel was closed")) }
    }
}
