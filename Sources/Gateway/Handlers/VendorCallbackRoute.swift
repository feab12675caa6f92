import Messages
import RPC

/// The SMS vendors' callbacks over HTTP (`POST /v1/sms-callbacks/{aliyun|tencent}/{receipt|reply}`):
/// the vendor posts its own JSON (delivery reports, inbound replies 上行短信) to the URL
/// configured in its console; the gateway forwards the body unchanged to notifications'
/// `ReceiveVendorCallback`, which parses it with the vendor adapter, and answers the vendor
/// with the body it expects ({"code":0,"msg":"成功"} / {"result":0,"errmsg":"OK"}). Any
/// other answer (a refusal, notifications down, a receipt that outran our own send) is a
/// non-200, which both vendors retry.
///
/// Authentication: neither vendor signs its callbacks (both publish only the body format), so
/// the callback URL carries our SMS-provider key (a partner key of channel `sms_provider`,
/// which reaches these callbacks and nothing else): `?key=xsc_pk_...`, or
/// `Authorization: Bearer xsc_pk_...` where a proxy in front can add the header. It is checked
/// exactly like the gRPC call's key (FrontDoor: hash lookup, access policy, rate limit).
struct VendorCallbackRoute {
    static let prefix = "/v1/sms-callbacks/"
    static let grpcPath = "/xsc.notifications.v1.NotificationService/ReceiveVendorCallback"
    let door: FrontDoor
    let router: BackendRouter

    func handle(_ request: PlainHTTPRequest, _ responder: any PlainHTTPResponder) async {
        do {
            let parts = request.path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, ["aliyun", "tencent"].contains(parts[0]), ["receipt", "reply"].contains(parts[1]) else {
                throw RPCError(code: .notFound, message: "no such callback: use /v1/sms-callbacks/{aliyun|tencent}/{receipt|reply}")
            }
            guard request.method == "POST" else {
                throw RPCError(code: .unimplemented, message: "vendors POST their callbacks")
            }
            var metadata = PartnerHTTPHandler.metadata(of: request)
            if metadata["authorization"] == nil, let key = request.query.first(where: { $0.name == "key" })?.value {
                metadata.add("authorization", "Bearer " + key)
            }
            guard let caller = try await door.admit(path: Self.grpcPath, metadata: metadata,
                                                    clientCertSHA256: request.tls?.peerCertificate?.sha256) else {
                throw GatewayErrors.noCredentials
            }
            guard let package = BackendRouter.package(of: Self.grpcPath), let backend = router.backends[package] else {
                throw RPCError(code: .unavailable, message: "notifications is not configured")
            }
            var callback = Xsc_Notifications_V1_VendorCallbackRequest()
            callback.vendor = String(parts[0])
            callback.kind = String(parts[1])
            callback.body = request.body
            var options = CallOptions(metadata: door.backendMetadata(metadata, caller: caller, audience: backend.name))
            options.timeout = .seconds(30)
            let answer: Xsc_Notifications_V1_VendorCallbackResponse = try await backend.channel.unary(
                path: Self.grpcPath, request: callback, options: options)
            await responder.respond(PlainHTTPResponseHead(status: 200, headers: [("content-type", "application/json; charset=utf-8")]),
                                    body: Array(answer.vendorAnswer.utf8))
        } catch {
            await JSONStatus.respond(PartnerHTTPHandler.rpcError(error), to: responder)
        }
    }
}
