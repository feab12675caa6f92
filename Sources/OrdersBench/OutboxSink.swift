import Messages
import ProtoCodec
import RPC

/// Stands in for the peers the orders service's outbox delivers to (notifications, customers,
/// settlements) during a run: every call is answered OK with an empty message, and a batch in
/// the inbox (`InboxService`, which those peers serve) with OK for each item, so the relay
/// delivers each message once (as it would in production) instead of retrying against a
/// missing peer.
enum OutboxSink {
    static func serve(port: Int) throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: port)
        configuration.fallback = { path in
            .unary(path) { (_: OpaqueMessage, _: ServerContext) async throws -> OpaqueMessage in OpaqueMessage() }
        }
        let server = RPCServer(configuration: configuration, services: [SinkInbox()])
        try server.start()
        print("outbox sink on 127.0.0.1:\(server.port)")
        server.waitUntilShutdown()
    }
}

/// Every item of an inbox delivery answered OK.
private struct SinkInbox: RPCServiceProvider {
    var rpcService: RPCService {
        RPCService(name: "xsc.common.v1.Inbox", methods: [
            .unary("Deliver") { (delivery: Xsc_Common_V1_InboxDelivery, _: ServerContext) async throws -> Xsc_Common_V1_InboxReceipt in
                var receipt = Xsc_Common_V1_InboxReceipt()
                receipt.statuses = Array(repeating: Xsc_Common_V1_InboxItemStatus(), count: delivery.items.count)
                return receipt
            },
        ])
    }
}
