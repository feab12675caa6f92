import RPC

/// Routes every path the gateway does not answer itself to the backend that owns its proto
/// package (`/xsc.orders.v1.OrderService/Get` -> the orders service), forwarding the call
/// whatever its kind, after the front door admitted it.
public struct BackendRouter: Sendable {
    public struct Backend: Sendable {
        public var name: String
        /// One channel per gateway event loop: a forwarded call never leaves its thread.
        public var channels: LoopBoundChannels
        /// For callers outside a call (the health probe).
        public var channel: RPCChannel { channels.detached }

        public init(name: String, host: String, port: Int) {
            self.name = name
            self.channels = LoopBoundChannels(host: host, port: port)
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
        return .bidiStreaming(path) { (requests: RequestStream<ForwardedMessage>, responses: ResponseStreamWriter<ForwardedMessage>, context: ServerContext) in
            guard let caller = try await door.admit(context) else {
                throw RPCError(code: .unauthenticated, message: "missing credentials")
            }
            var options = CallOptions(metadata: door.backendMetadata(context.requestMetadata, caller: caller, audience: backend.name,
                                                                     signedActors: door.signedActors(context)))
            options.timeout = context.timeRemaining
            try await RPCProxy.forward(path: path, channel: backend.channels.channel(for: context), options: options,
                                       requests: requests, responses: responses, context: context)
        }
    }
}
