import Messages
import RPC
import ServiceAPI

/// notifications.send: the machine-to-machine Send the other services' outboxes call (an SMS
/// prompt to a staff member, mirrored in the inbox), each with its own idempotency key, to
/// `recipients` distinct accounts and phones in turn. Only a system actor may call Send, so it
/// runs directly only. With the development SMS provider the "send" is a line in a file.
struct NotificationsSend: Workload {
    let system: Metadata
    let template: String
    let params: [String: String]
    let category: Xsc_Notifications_V1_Category
    let region: String
    let recipients: Int
    let runID: String

    init(_ request: Parameters, access: Access, runID: String) throws {
        try access.requireDirect("Send is for the services (a system actor), which cannot log in at the gateway")
        self.runID = runID
        system = try access.metadata(for: .system("orders"), login: 0, gatewayRole: "")
        template = request.string("template", default: "order_new_lead")
        var params: [String: String] = [:]
        let given = request.section("params")
        for key in ["code", "summary"] { params[key] = given.string(key, default: key == "code" ? "A7K2" : "五粮液2箱") }
        self.params = params
        category = request.string("category", default: "staff_sla") == "customer" ? .customer : .staffSla
        region = request.string("region", default: "cq")
        recipients = max(1, request.int("recipients", default: 100))
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        let recipient = number % recipients
        var request = Xsc_Notifications_V1_SendRequest()
        request.accountId = "load-lead-\(recipient)"
        request.phone = "1390001" + CustomersCreateSearch.digits(recipient % 10_000, 4)
        request.template = template
        request.params = params
        request.category = category
        request.regionCode = region
        request.idempotencyKey = "load-\(runID)-\(number)"
        var subject = Xsc_Notifications_V1_Subject()
        subject.kind = "order"
        subject.id = "load-order-\(number)"
        subject.shortCode = "A7K2"
        request.subject = subject
        let answer = try await Xsc_Notifications_V1_NotificationServiceClient(channel: channel)
            .send(request, options: CallOptions(metadata: system, timeout: .seconds(30)))
        guard answer.message != nil else { throw CheckFailure(message: "Send answered no message") }
        return 1
    }
}
