import Messages
import RPC
import ServiceAPI

/// The staff pages' JSON API (`/v1/staff/...`, routes of `proto/staff_http.routes`, generated
/// `StaffHTTPRoutes`): the same admission as every gRPC call (the session token, the access
/// policy, the caller's bucket) and the caller's own rights at the backend on every call: the
/// pages decide nothing. The gateway's own methods (login, logout, who am I, the assignee list)
/// run in process (GatewayLocalMethods); the rest is forwarded like the partner routes.
public struct StaffHTTPHandler: Sendable {
    static let prefix = "/v1/staff/"
    let transcoder: JSONTranscoder
    let local: GatewayLocalMethods

    public init(core: GatewayCore, feedHeartbeat: Duration? = .seconds(15)) {
        var transcoder = JSONTranscoder(routes: StaffHTTPRoutes.routes)
        transcoder.feedHeartbeat = feedHeartbeat
        self.transcoder = transcoder
        local = GatewayLocalMethods(core: core)
    }

    func handle(_ request: PlainHTTPRequest, _ plain: any PlainHTTPResponder, via partner: PartnerHTTPHandler) async {
        // Answers about people's orders and sessions: never cached, never sniffed.
        let responder = HeaderAddingResponder(plain, headers: [("cache-control", "no-store"), ("x-content-type-options", "nosniff")])
        let route: JSONRoute, captured: [(String, String)]
        switch transcoder.route(for: request) {
        case .success(let found): (route, captured) = found
        case .failure(let miss): return await miss.respond(to: responder)
        }
        guard let method = local.method(for: route.grpcPath) else {
            await partner.forward(route, captured: captured, transcoder: transcoder, request: request, responder: responder)
            return
        }
        do {
            let caller = try await local.door.admit(path: route.grpcPath, metadata: PartnerHTTPHandler.metadata(of: request))
            let messages = try transcoder.requestMessages(route, captured: captured, request: request)
            let peer = request.peer
            await transcoder.answer(route, messages: messages, responder: responder) { bytes in
                do {
                    return try await method(bytes, caller, peer)
                } catch {
                    throw PartnerHTTPHandler.rpcError(error)
                }
            }
        } catch {
            await JSONStatus.respond(PartnerHTTPHandler.rpcError(error), to: responder)
        }
    }
}

/// Adds headers to every answer of a wrapped responder.
struct HeaderAddingResponder: PlainHTTPResponder {
    let inner: any PlainHTTPResponder
    let headers: [(name: String, value: String)]

    init(_ inner: any PlainHTTPResponder, headers: [(name: String, value: String)]) {
        self.inner = inner
        self.headers = headers
    }

    func respond(_ head: PlainHTTPResponseHead, body: [UInt8]) async {
        await inner.respond(PlainHTTPResponseHead(status: head.status, headers: head.headers + headers), body: body)
    }

    func startStream(_ head: PlainHTTPResponseHead) async throws {
        try await inner.startStream(PlainHTTPResponseHead(status: head.status, headers: head.headers + headers))
    }

    func send(_ bytes: [UInt8]) async throws { try await inner.send(bytes) }
    func finish() async { await inner.finish() }
    var isClosed: Bool { get async { await inner.isClosed } }
}
