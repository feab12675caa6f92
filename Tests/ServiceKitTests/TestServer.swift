import Messages
import RPC
@testable import ServiceKit

/// `test.WhoAmI/Get` answers with the verified actor the handler sees (or an empty one).
struct WhoAmIService: RPCServiceProvider {
    static let path = "/test.WhoAmI/Get"
    static let openPath = "/test.WhoAmI/Open"

    var rpcService: RPCService {
        RPCService(name: "test.WhoAmI", methods: [
            .unary("Get") { (_: Xsc_Common_V1_ActorContext, context: ServerContext) in
                try WhoAmIService.describe(context.requireActor())
            },
            .unary("Open") { (_: Xsc_Common_V1_ActorContext, context: ServerContext) in
                context.verifiedActor.map(WhoAmIService.describe) ?? Xsc_Common_V1_ActorContext()
            },
            .unary("Fail") { (_: Xsc_Common_V1_ActorContext, _: ServerContext) -> Xsc_Common_V1_ActorContext in
                throw RPCError(code: .notFound, message: "no such thing")
            },
        ])
    }

    static func describe(_ actor: VerifiedActor) -> Xsc_Common_V1_ActorContext {
        var message = Xsc_Common_V1_ActorContext()
        message.accountId = actor.accountID
        message.role = actor.role
        message.teamPath = actor.teamPath
        message.requestId = actor.requestID
        message.expiresAtMs = actor.expiresAtMs
        return message
    }
}

/// A real RPCServer on a free loopback port with the given interceptors.
func startTestServer(interceptors: [any ServerInterceptor]) throws -> RPCServer {
    let server = makeTestServer(interceptors: interceptors)
    try server.start()
    return server
}

func makeTestServer(interceptors: [any ServerInterceptor] = []) -> RPCServer {
    var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0)
    configuration.handlesTerminationSignals = false
    configuration.shutdownGracePeriod = .seconds(1)
    configuration.interceptors = interceptors
    return RPCServer(configuration: configuration, services: [WhoAmIService()])
}
