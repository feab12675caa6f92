/// How many connections a server closed at accept, by reason: what /metrics shows as
/// `xsc_rpc_connections_refused_total{reason}` (ServiceHost), so an operator sees a flood being
/// turned away and which limit does it.
public struct ConnectionRefusals: Sendable, Equatable {
    public enum Reason: String, CaseIterable, Sendable {
        /// The address opened connections faster than its rate (PeerConnectionRates).
        case peerRate = "peer_rate"
        /// The address is cooling down after a connection was closed for glitches.
        case coolDown = "cool_down"
        /// The address has `maxConnectionsPerPeer` open.
        case peerLimit = "peer_limit"
        /// The server has `maxConnections` open.
        case serverLimit = "server_limit"
    }

    public var counts: [Reason: Int] = [:]

    public init() {}

    public subscript(reason: Reason) -> Int { counts[reason, default: 0] }

    public var total: Int { counts.values.reduce(0, +) }
}
