import RPC
import ServiceKit

/// The RPC server's admission on /metrics, read at scrape time from the server's own counters.
enum ServerMetrics {
    static func register(_ server: RPCServer, in registry: MetricsRegistry) {
        registry.counterCallback("xsc_rpc_server_connections_refused_total",
                                 help: "Connections closed at accept, by reason (peer_rate, cool_down, peer_limit, server_limit).",
                                 labels: ["reason"]) { [server] in
            let refusals = server.connectionRefusals
            return ConnectionRefusals.Reason.allCases.map { GaugeSample([$0.rawValue], Double(refusals[$0])) }
        }
    }
}
