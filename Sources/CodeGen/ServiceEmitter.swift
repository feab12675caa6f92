/// Emits, per service, the handler protocol, the extension that builds its `RPCService`
/// dispatch table, and the typed client (API of COMMON.md "Generated names").
struct ServiceEmitter {
    let registry: TypeRegistry
    /// Typed clients need `RPCChannel` from RPC; off until that API exists.
    let emitClients: Bool

    func emit(_ service: ServiceDescriptor, package: String, into out: inout CodeWriter) throws {
        let fullName = package.isEmpty ? service.name : package + "." + service.name
        let swiftBase = Naming.swiftPrefix(package: package) + service.name
        let methods = try service.methods.map { try Method($0, service: fullName, registry: registry) }

        out.line("/// Implement this to serve `\(fullName)`; register the value with the server.")
        out.block("public protocol \(swiftBase)Handler: RPCServiceProvider") { out in
            for method in methods { out.line(method.requirement) }
        }
        out.line()
        out.block("extension \(swiftBase)Handler") { out in
            out.block("public var rpcService: RPCService") { out in
                out.line("RPCService(name: \"\(fullName)\", methods: [")
                out.indented { out in
                    for method in methods { method.emitDispatch(into: &out) }
                }
                out.line("])")
            }
        }
        guard emitClients else { return }
        out.line()
        out.line("/// Typed client of `\(fullName)`.")
        out.block("public struct \(swiftBase)Client: Sendable") { out in
            out.line("public static let serviceName = \"\(fullName)\"")
            out.line()
            out.line("/// The full path of each method, for callers that address a call by path (an outbox row).")
            out.block("public enum Paths") { out in
                for method in methods { out.line("public static let \(method.swiftName) = \"\(method.path)\"") }
            }
            out.line()
            out.line("public let channel: RPCChannel")
            out.line()
            out.line("public init(channel: RPCChannel) { self.channel = channel }")
            for method in methods {
                out.line()
                method.emitClientMethod(into: &out)
            }
        }
    }

    private struct Method {
        let descriptor: MethodDescriptor
        let swiftName: String
        let path: String
        let request: String
        let response: String

        init(_ descriptor: MethodDescriptor, service: String, registry: TypeRegistry) throws {
            self.descriptor = descriptor
            swiftName = Naming.swiftMethodName(descriptor.name)
            path = "/\(service)/\(descriptor.name)"
            request = try registry.message(descriptor.inputType).swiftName
            response = try registry.message(descriptor.outputType).swiftName
        }

        var requirement: String {
            switch (descriptor.clientStreaming, descriptor.serverStreaming) {
            case (false, false):
                return "func \(swiftName)(_ request: \(request), context: ServerContext) async throws -> \(response)"
            case (false, true):
                return "func \(swiftName)(_ request: \(request), responses: ResponseStreamWriter<\(response)>, context: ServerContext) async throws"
            case (true, false):
                return "func \(swiftName)(_ requests: RequestStream<\(request)>, context: ServerContext) async throws -> \(response)"
            case (true, true):
                return "func \(swiftName)(_ requests: RequestStream<\(request)>, responses: ResponseStreamWriter<\(response)>, context: ServerContext) async throws"
            }
        }

        func emitDispatch(into out: inout CodeWriter) {
            let name = "\"\(descriptor.name)\""
            switch (descriptor.clientStreaming, descriptor.serverStreaming) {
            case (false, false):
                out.line(".unary(\(name)) { (request: \(request), context: ServerContext) async throws -> \(response) in")
                out.line("    try await self.\(swiftName)(request, context: context)")
            case (false, true):
                out.line(".serverStreaming(\(name)) { (request: \(request), responses: ResponseStreamWriter<\(response)>, context: ServerContext) async throws in")
                out.line("    try await self.\(swiftName)(request, responses: responses, context: context)")
            case (true, false):
                out.line(".clientStreaming(\(name)) { (requests: RequestStream<\(request)>, context: ServerContext) async throws -> \(response) in")
                out.line("    try await self.\(swiftName)(requests, context: context)")
            case (true, true):
                out.line(".bidiStreaming(\(name)) { (requests: RequestStream<\(request)>, responses: ResponseStreamWriter<\(response)>, context: ServerContext) async throws in")
                out.line("    try await self.\(swiftName)(requests, responses: responses, context: context)")
            }
            out.line("},")
        }

        func emitClientMethod(into out: inout CodeWriter) {
            let path = "Paths.\(swiftName)"
            switch (descriptor.clientStreaming, descriptor.serverStreaming) {
            case (false, false):
                out.block("public func \(swiftName)(_ request: \(request), options: CallOptions = CallOptions()) async throws -> \(response)") { out in
                    out.line("try await channel.unary(path: \(path), request: request, options: options)")
                }
            case (false, true):
                out.block("public func \(swiftName)(_ request: \(request), options: CallOptions = CallOptions()) -> ServerStreamingCall<\(response)>") { out in
                    out.line("channel.serverStreaming(path: \(path), request: request, options: options)")
                }
            case (true, false):
                out.block("public func \(swiftName)(options: CallOptions = CallOptions()) -> ClientStreamingCall<\(request), \(response)>") { out in
                    out.line("channel.clientStreaming(path: \(path), options: options)")
                }
            case (true, true):
                out.block("public func \(swiftName)(options: CallOptions = CallOptions()) -> BidiStreamingCall<\(request), \(response)>") { out in
                    out.line("channel.bidiStreaming(path: \(path), options: options)")
                }
            }
        }
    }
}
