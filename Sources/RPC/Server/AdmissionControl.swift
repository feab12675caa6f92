import Messages
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
        var retryAfter: Duration
    }

    let limits: Limits
    private let calls = Atomic<Int>(0)
    private let connections = Mutex<(total: Int, perPeer: [String: Int])>((0, [:]))

    init(limits: Limits) {
        self.limits = limits
    }

    var callsInFlight: Int { calls.load(ordering: .relaxed) }

    /// True when the call may start (then `callEnded` must follow once).
    func admitCall() -> Bool {
        let now = calls.wrappingAdd(1, ordering: .relaxed).newValue
        if now <= limits.maxCallsInFlight { return true }
        calls.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func callEnded() {
        calls.wrappingSubtract(1, ordering: .relaxed)
    }

    /// True when a connection from `peer` may be served (then `connectionClosed` must follow).
    func admitConnection(peer: String) -> Bool {
        connections.withLock { state in
            let fromPeer = state.perPeer[peer, default: 0]
            guard state.total < limits.maxConnections, fromPeer < limits.maxConnectionsPerPeer else { return false }
            state.total += 1
            state.perPeer[peer] = fromPeer + 1
            return true
        }
    }

    func connectionClosed(peer: String) {
        connections.withLock { state in
            state.total -= 1
            let left = state.perPeer[peer, default: 1] - 1
            state.perPeer[peer] = left > 0 ? left : nil
        }
    }

    /// The refusal of a call past the limit, with the delay a client should wait.
    var busyRefusal: RequestHead.Rejection {
        var retry = Google_Rpc_RetryInfo()
        var delay = Google_Protobuf_Duration()
        let millis = limits.retryAfter.components.seconds * 1000 + limits.retryAfter.components.attoseconds / 1_000_000_000_000_000
        delay.seconds = millis / 1000
        delay.nanos = Int32((millis % 1000) * 1_000_000)
        retry.retryDelay = delay
        let message = "server busy: \(limits.maxCallsInFlight) calls in flight; retry in \(millis) ms"
        let error = RPCError.withDetails(.resourceExhausted, message, [retry])
        return RequestHead.Rejection(code: .resourceExhausted, message: message,
                                     extraHeaders: error.details.map { [("grpc-status-details-bin", Base64.encode($0))] } ?? [])
    }
}
