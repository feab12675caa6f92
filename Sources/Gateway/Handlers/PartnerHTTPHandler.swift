import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The partner HTTP/JSON API (services/gateway/README.md, "Partner HTTP/JSON"): the routes of
/// `proto/partner_http.routes` (generated `PartnerHTTPRoutes`), admitted exactly like the gRPC
/// calls they map to (same API keys, access policy, rate limits; `Idempotency-Key` becomes the
/// `idempotency-key` metadata the services' idempotency store reads), forwarded to the owning
/// service with a signed actor, answered as proto3 JSON; plus the OpenAPI document and the SMS
/// vendors' callbacks. The same handler serves HTTP/1.1 (public HTTP listener) and HTTP/2 (the
/// gRPC port, for non-gRPC content types). The staff pages and their JSON API
/// (StaffHTTPHandler, StaffWebPages) are served beside it, on the same origin.
public struct PartnerHTTPHandler: Sendable {
    let door: FrontDoor
    let router: BackendRouter
    let logger: Logger
    let transcoder: JSONTranscoder
    /// Unary calls through the JSON API end by then (a feed has no deadline).
    let callTimeout: Duration = .seconds(30)
    /// HTTP requests pass no interceptor: the trace is continued (or started) here.
    let traceIDs = TraceIDSource()

    /// The staff pages' JSON API (`/v1/staff/...`) and the pages themselves, when served.
    let staff: StaffHTTPHandler?
    let web: StaffWebPages?

    public init(door: FrontDoor, router: BackendRouter, logger: Logger, feedHeartbeat: Duration? = .seconds(15),
                staff: StaffHTTPHandler? = nil, web: StaffWebPages? = nil) {
        self.door = door
        self.router = router
        self.logger = logger
        self.staff = staff
        self.web = web
        var transcoder = JSONTranscoder(routes: PartnerHTTPRoutes.routes)
        transcoder.feedHeartbeat = feedHeartbeat
        self.transcoder = transcoder
    }

    /// HTTP headers a backend may see, as gRPC metadata (everything else stays at the edge).
    static let forwardedHeaders: Set<String> = ["authorization", "idempotency-key", "x-request-id", "traceparent", "tracestate"]

    public var handler: PlainHTTPHandler {
        let handler = self
        return { request, responder in
            // As for gRPC calls: the caller's trace continued (or one started), in the access
            // line and in the backend call's traceparent (FrontDoor.backendMetadata).
            let trace = TraceContext.continuing(request.header("traceparent"), traceState: request.header("tracestate"),
                                                ids: handler.traceIDs)
            await TraceContext.$bound.withValue(trace) {
                await handler.logged(request, responder) { await handler.handle(request, $0) }
            }
        }
    }

    func handle(_ request: PlainHTTPRequest, _ responder: any PlainHTTPResponder) async {
        if request.path == "/openapi.json" && request.method == "GET" {
            await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "application/json")]),
                                    body: Array(PartnerHTTPRoutes.openAPIDocument.utf8))
            return
        }
        if request.path.hasPrefix(VendorCallbackRoute.prefix) {
            await VendorCallbackRoute(door: door, router: router).handle(request, responder)
            return
        }
        if request.path.hasPrefix(StaffHTTPHandler.prefix), let staff {
            await staff.handle(request, responder, via: self)
            return
        }
        if let web, await web.answer(request, responder) { return }
        let route: JSONRoute, captured: [(String, String)]
        switch transcoder.route(for: request) {
        case .success(let found): (route, captured) = found
        case .failure(let miss): return await miss.respond(to: responder)
        }
        await forward(route, captured: captured, transcoder: transcoder, request: request, responder: responder)
    }

    /// Admits the request as the gRPC call its route maps to and forwards it to the owning
    /// service (partner and staff routes alike).
    func forward(_ route: JSONRoute, captured: [(String, String)], transcoder: JSONTranscoder,
                 request: PlainHTTPRequest, responder: any PlainHTTPResponder) async {
        do {
            let metadata = Self.metadata(of: request)
            // Credentials first: a caller without a valid key learns nothing about the body.
            guard let caller = try await door.admit(path: route.grpcPath, metadata: metadata,
                                                    clientCertSHA256: request.tls?.peerCertificate?.sha256) else {
                throw GatewayErrors.noCredentials
            }
            let messages = try transcoder.requestMessages(route, captured: captured, request: request)
            let backend = try self.backend(for: route.grpcPath)
            var options = CallOptions(metadata: door.backendMetadata(metadata, caller: caller, audience: backend.name))
            if !route.serverStreaming { options.timeout = callTimeout }
            await transcoder.call(route, messages: messages, channel: backend.channel, options: options,
                                  request: request, responder: responder)
        } catch {
            await JSONStatus.respond(Self.rpcError(error), to: responder)
        }
    }

    func backend(for grpcPath: String) throws -> BackendRouter.Backend {
        guard let package = BackendRouter.package(of: grpcPath), let backend = router.backends[package] else {
            throw RPCError(code: .unavailable, message: "the service for this request is not configured")
        }
        return backend
    }

    static func metadata(of request: PlainHTTPRequest) -> Metadata {
        var metadata = Metadata()
        for (name, value) in request.headers where forwardedHeaders.contains(name) {
            metadata.add(name, value)
        }
        return metadata
    }

    static func rpcError(_ error: any Error) -> RPCError {
        if let rpc = error as? RPCError { return rpc }
        if let convertible = error as? any RPCErrorConvertible { return convertible.rpcError }
        return RPCError(code: .unavailable, message: "the request could not be completed; retry later")
    }
}
