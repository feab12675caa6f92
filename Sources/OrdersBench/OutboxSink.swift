import ProtoCodec
import RPC

/// Stands in for the notifications service during a run: every call is answered OK with an
/// empty message, so the orders service's outbox relay delivers each SMS request once (as it
/// would in production) instead of retrying against a missing peer.
enum OutboxSink {
    static func serve(port: Int) throws {
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: port)
        configuration.fallback = { path in
            .unary(path) { (_: OpaqueMessage, _: ServerContext) async throws -> OpaqueMessage in OpaqueMessage() }
        }
        let server = RPCServer(configuration: configuration, services: [])
        try server.start()
        print("outbox sink on 127.0.0.1:\(server.port)")
        server.waitUntilShutdown()
    }
}
