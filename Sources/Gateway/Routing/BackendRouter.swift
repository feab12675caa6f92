import ProtoCodec
import RPC

/// Routes every path the gateway does not answer itself to the backend that owns its proto
/// package (`/xsc.orders.v1.OrderService/Get` -> the orders service), forwarding the call
/// whatever its kind, after the front door admitted it.
public struct BackendRouter: Sendable {
    public struct Backend: Sendable {
        public var name: String
        public var channel: RPCChannel

        public init(name: String, channel: RPCChannel) {
            self.name = name
            self.channel = channel
        }
    }

    /// Proto package -> backend ("xsc.orders.v1" -> orders).
    public let backends: [String: Backend]
    let door: FrontDoor

    public init(backends: [String: Backend], door: FrontDoor) {
        self.backends = backends
        self.door = door
    }

    /// The proto package of `/pkg.Service/Method` ("pkg").
    public static func package(of path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count == 2, let dot = parts[0].lastIndex(of: ".") else { return nil }
        return String(parts[0][..<dot])
    }

    /// For RPCServer.Configuration.fallback: nil (UNIMPLEMENTED) for a package nobody serves.
    public func method(for path: String) -> RPCMethod? {
        guard let package = Self.package(of: path), let backend = backends[package] else { return nil }
        let door = self.door
        return .bidiStreaming(path) { (requests: RequestStream<OpaqueMessage>, responses: ResponseStreamWriter<OpaqueMessage>, context: ServerContext) in
            guard let caller = try await door.admit(context) else {
                throw RPCError(code: .unauthenticated, message: "missing credentials")
            }
            var options = CallOptions(metadata: door.backendMetadata(context.requestMetadata, caller: caller))
            options.timeout = context.timeRemaining
            try await Self.forward(path: path, channel: backend.channel, options: options,
                                   requests: requests, responses: responses, context: context)
        }
    }

    /// Message by message both ways, as RPCProxy does (which takes only a synchronous metadata
    /// transform; admission here needs the database first).
    static func forward(path: String, channel: RPCChannel, options: CallOptions, requests: RequestStream<OpaqueMessage>,
                        responses: ResponseStreamWriter<OpaqueMessage>, context: ServerContext) async throws {
        let call: BidiStreamingCall<OpaqueMessage, OpaqueMessage> = channel.bidiStreaming(path: path, options: options)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await request in requests { try await call.send(request) }
                    call.closeSend()
                }
                context.initialMetadata = try await call.initialMetadata()
                for try await response in call.responses { try await responses.send(response) }
                context.trailingMetadata = await call.trailingMetadata
                try await group.waitForAll()
            }
        } catch {
            call.cancel()
            throw error
        }
    }
}
