import Messages
import NetIO
import Synchronization

/// What a server takes on, shared by all its loops: connections (in all and per peer address)
/// and calls in flight. Past a limit the answer is immediate: a refused connection is closed at
/// once, a refused call gets RESOURCE_EXHAUSTED with a RetryInfo, so overload shows as quick
/// refusals a client backs off from, not as calls that wait seconds and are then retried on top.
final class AdmissionControl: Sendable {
    struct Limits: Sendable {
        var maxConnections: Int
        var maxConnectionsPerPeer: Int
        var maxCallsInFlight: Int
        /// Unary calls in flight, on top of `maxCallsInFlight` (nil: none); see
        /// RPCServer.Configuration.maxUnaryCallsInFlight.
        var maxUnaryCallsInFlight: Int? = nil
        var retryAfter: Duration
        var peerRates: PeerConnectionRates.Limits
    }

    private struct Connections {
        var total = 0
        var perPeer: [String: Int] = [:]
        var rates: PeerConnectionRates
        /// Counted under the same lock as the decision (refusals are the cheap path anyway).
        var refusals = ConnectionRefusals()
    }

    let limits: Limits
    private let calls = Atomic<Int>(0)
    private let unaryCalls = Atomic<Int>(0)
    private let connections: Mutex<Connections>
    /// Called (any thread, outside the lock) when the set of addresses blocked in the kernel
    /// changed: each listener's ListenerKernelDrop applies it on its own loop.
    private let kernelBlockWatchers = Mutex<[@Sendable () -> Void]>([])
    /// The refusals of a call past a limit, with the delay a client should wait: made once,
    /// since under overload they are most of what the server sends.
    let busyRefusal: RequestHead.Rejection
    let unaryBusyRefusal: RequestHead.Rejection

    init(limits: Limits) {
        self.limits = limits
        connections = Mutex(Connections(rates: PeerConnectionRates(limits: limits.peerRates)))
        busyRefusal = Self.refusal(limit: limits.maxCallsInFlight, what: "calls", retryAfter: limits.retryAfter)
        unaryBusyRefusal = Self.refusal(limit: limits.maxUnaryCallsInFlight ?? 0, what: "unary calls",
                                        retryAfter: limits.retryAfter)
    }

    /// Connections closed at accept so far, by reason (for /metrics).
    var refusals: ConnectionRefusals { connections.withLock { $0.refusals } }

    var callsInFlight: Int { calls.load(ordering: .relaxed) }

    /// nil when the call may start (then `callEnded(unary:)` must follow once), else the refusal
    /// to answer with.
    func admitCall(unary: Bool = false) -> RequestHead.Rejection? {
        let now = calls.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= limits.maxCallsInFlight else {
            calls.wrappingSubtract(1, ordering: .relaxed)
            return busyRefusal
        }
        if unary, let unaryLimit = limits.maxUnaryCallsInFlight,
           unaryCalls.wrappingAdd(1, ordering: .relaxed).newValue > unaryLimit {
            unaryCalls.wrappingSubtract(1, ordering: .relaxed)
            calls.wrappingSubtract(1, ordering: .relaxed)
            return unaryBusyRefusal
        }
        return nil
    }

    func callEnded(unary: Bool = false) {
        if unary && limits.maxUnaryCallsInFlight != nil { unaryCalls.wrappingSubtract(1, ordering: .relaxed) }
        calls.wrappingSubtract(1, ordering: .relaxed)
    }

    /// True when a connection from `peer` may be served (then `connectionClosed` must follow):
    /// the peer's connection rate and cool-down (PeerConnectionRates), then the counts.
    func admitConnection(peer host: String, now: MonotonicTime = .now()) -> Bool {
        // Counted per client like the rates: an IPv6 /64 is one client (PeerPrefix).
        let peer = PeerPrefix.key(forHost: host)
        let (admitted, blocksChanged) = connections.withLock { state -> (Bool, Bool) in
            let generation = state.rates.blockGeneration
            let refusal: ConnectionRefusals.Reason?
            switch state.rates.admit(peer, now: now) {
            case .overRate: refusal = .peerRate
            case .coolingDown: refusal = .coolDown
            case .admitted:
                let fromPeer = state.perPeer[peer, default: 0]
                if state.total >= limits.maxConnections {
                    refusal = .serverLimit
                } else if fromPeer >= limits.maxConnectionsPerPeer {
                    refusal = .peerLimit
                } else {
                    refusal = nil
                    state.total += 1
                    state.perPeer[peer] = fromPeer + 1
                }
            }
            let changed = state.rates.blockGeneration != generation
            guard let refusal else { return (true, changed) }
            state.refusals.counts[refusal, default: 0] += 1
            return (false, changed)
        }
        if blocksChanged { notifyKernelBlockWatchers() }
        return admitted
    }

    /// A connection from `peer` was ended for glitches: the peer cools down.
    func peerClosedForGlitches(_ peer: String, now: MonotonicTime = .now()) {
        let changed = connections.withLock { state in
            let generation = state.rates.blockGeneration
            state.rates.closedForGlitches(peer, now: now)
            return state.rates.blockGeneration != generation
        }
        if changed { notifyKernelBlockWatchers() }
    }

    /// The addresses to drop in the kernel now (PeerConnectionRates.kernelBlocks).
    func kernelBlocks(now: MonotonicTime = .now()) -> PeerConnectionRates.KernelBlocks {
        connections.withLock { $0.rates.kernelBlocks(now: now) }
    }

    /// Addresses blocked in the kernel so far, each block counted once (for /metrics).
    var kernelBlocksStarted: Int { connections.withLock { $0.rates.kernelBlocksStarted } }

    /// `watcher` runs whenever the addresses to drop in the kernel change.
    func watchKernelBlocks(_ watcher: @escaping @Sendable () -> Void) {
        kernelBlockWatchers.withLock { $0.append(watcher) }
    }

    private func notifyKernelBlockWatchers() {
        for watcher in kernelBlockWatchers.withLock({ $0 }) { watcher() }
    }

    func connectionClosed(peer host: String) {
        let peer = PeerPrefix.key(forHost: host)
        connections.withLock { state in
            state.total -= 1
            let left = state.perPeer[peer, default: 1] - 1
            state.perPeer[peer] = left > 0 ? left : nil
        }
    }

    private static func refusal(limit: Int, what: String, retryAfter: Duration) -> RequestHead.Rejection {
        var retry = Google_Rpc_RetryInfo()
        var delay = Google_Protobuf_Duration()
        let millis = retryAfter.components.seconds * 1000 + retryAfter.components.attoseconds / 1_000_000_000_000_000
        delay.seconds = millis / 1000
        delay.nanos = Int32((millis % 1000) * 1_000_000)
        retry.retryDelay = delay
        let message = "server busy: \(limit) \(what) in flight; retry in \(millis) ms"
        let error = RPCError.withDetails(.resourceExhausted, message, [retry])
        return RequestHead.Rejection(code: .resourceExhausted, message: message,
                                     extraHeaders: error.details.map { [("grpc-status-details-bin", Base64.encode($0))] } ?? [])
    }
}
