import Messages

/// `grpc.health.v1.Health` (Check, List, Watch) answered from a `HealthStatusStore`.
public struct HealthService: RPCServiceProvider {
    public typealias Request = Grpc_Health_V1_HealthCheckRequest
    public typealias Response = Grpc_Health_V1_HealthCheckResponse

    public static let serviceName = "grpc.health.v1.Health"
    /// List answers RESOURCE_EXHAUSTED beyond this many services (health.proto).
    public static let listLimit = 100

    public let store: HealthStatusStore

    public init(store: HealthStatusStore) {
        self.store = store
    }

    public var rpcService: RPCService {
        RPCService(name: Self.serviceName, methods: [
            .unary("Check") { (request: Request, _: ServerContext) async throws -> Response in
                try self.check(request)
            },
            .unary("List") { (_: Grpc_Health_V1_HealthListRequest, _: ServerContext) async throws -> Grpc_Health_V1_HealthListResponse in
                try self.list()
            },
            .serverStreaming("Watch") { (request: Request, responses: ResponseStreamWriter<Response>, _: ServerContext) async throws in
                try await self.watch(request, responses: responses)
            },
        ])
    }

    func check(_ request: Request) throws -> Response {
        guard let status = store.status(of: request.service) else {
            throw RPCError(code: .notFound, message: "unknown service \(request.service)")
        }
        var response = Response()
        response.status = status
        return response
    }

    func list() throws -> Grpc_Health_V1_HealthListResponse {
        let statuses = store.snapshot()
        guard statuses.count <= Self.listLimit else {
            throw RPCError(code: .resourceExhausted, message: "more than \(Self.listLimit) services")
        }
        var response = Grpc_Health_V1_HealthListResponse()
        for (service, status) in statuses {
            var entry = Response()
            entry.status = status
            response.statuses[service] = entry
        }
        return response
    }

    /// Sends the current status, then each change, until the call is cancelled.
    func watch(_ request: Request, responses: ResponseStreamWriter<Response>) async throws {
        var lastSent: HealthStatusStore.Status?
        for await status in store.updates(of: request.service) where status != lastSent {
            var response = Response()
            response.status = status
            try await responses.send(response)
            lastSent = status
        }
    }
}
