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
        // A blocked address's connection attempts are dropped by the kernel unseen: what can be
        // counted is each block (an address cooling down, between its one connection a second).
        registry.counterCallback("xsc_rpc_server_kernel_blocks_total",
                                 help: "Times a cooling-down address was blocked in the kernel (its connection attempts dropped as SYNs).") { [server] in
            [GaugeSample([], Double(server.kernelBlocks))]
        }
    }
}
