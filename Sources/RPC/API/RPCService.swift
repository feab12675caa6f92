import ProtoCodec

public typealias UnaryHandler<Request: ProtoMessage, Response: ProtoMessage> =
    @Sendable (Request, ServerContext) async throws -> Response
public typealias ServerStreamingHandler<Request: ProtoMessage, Response: ProtoMessage> =
    @Sendable (Request, ResponseStreamWriter<Response>, ServerContext) async throws -> Void
public typealias ClientStreamingHandler<Request: ProtoMessage, Response: ProtoMessage> =
    @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
public typealias BidiStreamingHandler<Request: ProtoMessage, Response: ProtoMessage> =
    @Sendable (RequestStream<Request>, ResponseStreamWriter<Response>, ServerContext) async throws -> Void

/// One method of a service as the server dispatches it. The typed handler is captured in a
/// closure specialised for its message types, so dispatch costs one indirect call and no
/// existential boxing of messages.
public struct RPCMethod: Sendable {
    public enum Kind: Sendable { case unary, serverStreaming, clientStreaming, bidiStreaming }

    public let name: String
    public let kind: Kind
    let run: @Sendable (ServerCall) async -> Void

    public static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ name: String, _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .unary) { call in
            await call.runUnary(handler)
        }
    }

    public static func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ name: String, _ handler: @escaping @Sendable (Request, ResponseStreamWriter<Response>, ServerContext) async throws -> Void
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .serverStreaming) { call in
            await call.runServerStreaming(handler)
        }
    }

    public static func clientStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ name: String, _ handler: @escaping @Sendable (RequestStream<Request>, ServerContext) async throws -> Response
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .clientStreaming) { call in
            await call.runClientStreaming(handler)
        }
    }

    public static func bidiStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ name: String, _ handler: @escaping @Sendable (RequestStream<Request>, ResponseStreamWriter<Response>, ServerContext) async throws -> Void
    ) -> RPCMethod {
        RPCMethod(name: name, kind: .bidiStreaming) { call in
            await call.runBidiStreaming(handler)
        }
    }
}

/// A named service (`package.Service`) and its methods.
public struct RPCService: Sendable {
    public let name: String
    public let methods: [RPCMethod]

    public init(name: String, methods: [RPCMethod]) {
        self.name = name
        self.methods = methods
    }
}

/// What a generated handler protocol extension provides: the service's dispatch table.
public protocol RPCServiceProvider: Sendable {
    var rpcService: RPCService { get }
}
