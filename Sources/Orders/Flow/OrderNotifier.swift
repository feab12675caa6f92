import DomainKit
import Messages
import Postgres
import ServiceAPI
import ServiceKitStore

/// SMS requests (`xsc.notifications.v1.SendRequest`) to the notifications service, queued in
/// the outbox with the business change (templates are the notifications service's:
/// order_new_lead, order_forwarded, sla_escalation, customer_order_confirmed). If that service
/// is down, the rows simply wait.
struct OrderNotifier: Sendable {
    static let destination = "notifications"
    static let sendPath = Xsc_Notifications_V1_NotificationServiceClient.Paths.send
    let outbox: Outbox

    /// A prompt a person answers by replying `1` or the order's code.
    func prompt(_ template: String, to accounts: [String], order: OrderRecord, in tx: PostgresTransaction) async throws {
        for statement in promptStatements(template, to: accounts, order: order) { _ = try await tx.run([statement]) }
    }

    /// The outbox rows of `prompt` as statements, for a caller that sends them in one round
    /// trip with the rest of its transaction.
    func promptStatements(_ template: String, to accounts: [String], order: OrderRecord) -> [PostgresStatement] {
        guard !accounts.isEmpty else { return [] }
        // The same prompt to each lead: built once, only the recipient differs.
        var request = Self.request(template, order: order, category: .staffSla)
        request.params = ["code": order.code, "summary": Self.summary(of: order)]
        return accounts.map { account in
            request.accountId = account
            return enqueueStatement(request)
        }
    }

    func escalate(to accounts: [String], order: OrderRecord, stage: String, overdueMinutes: Int, responsible: [String],
                  in tx: PostgresTransaction) async throws {
        for account in accounts {
            var request = Self.request("sla_escalation", order: order, category: .staffSla)
            request.accountId = account
            request.params = ["code": order.code, "stage": stage, "minutes": String(overdueMinutes),
                              "assignee": responsible.joined(separator: ",")]
            try await enqueue(request, in: tx)
        }
    }

    /// The return visit is due (after delivery): not a prompt answered by a reply, but about
    /// the order (an undelivered one is reported back as such).
    func visitDue(to accounts: [String], order: OrderRecord, hours: Int, in tx: PostgresTransaction) async throws {
        for account in accounts {
            var request = Self.request("order_visit_due", order: order, category: .staffSla)
            request.accountId = account
            request.params = ["code": order.code, "hours": String(hours)]
            request.subject?.kind = "order_visit"
            request.subject?.shortCode = ""
            try await enqueue(request, in: tx)
        }
    }

    /// A prompt never reached `missing`: the next person up is told at once.
    func promptUndelivered(to accounts: [String], order: OrderRecord, stage: String, missing: String,
                           in tx: PostgresTransaction) async throws {
        for account in accounts {
            var request = Self.request("order_prompt_undelivered", order: order, category: .staffSla)
            request.accountId = account
            request.params = ["code": order.code, "stage": stage, "assignee": missing]
            try await enqueue(request, in: tx)
        }
    }

    /// Tells the region that a routed account was disabled (no more prompts to it).
    func accountDisabled(to accounts: [String], region: String, account: String, name: String, districts: [String],
                         in tx: PostgresTransaction) async throws {
        for recipient in accounts {
            var request = Xsc_Notifications_V1_SendRequest()
            request.template = "routing_account_disabled"
            request.category = .staffSla
            request.regionCode = region
            request.accountId = recipient
            request.params = ["name": String(name.prefix(40)), "account": account, "district": districts.joined(separator: "、")]
            try await enqueue(request, in: tx)
        }
    }

    /// Tells the superiors an escalation went to that the step was done in time after all.
    func withdrawEscalation(to accounts: [String], order: OrderRecord, stage: String, in tx: PostgresTransaction) async throws {
        for account in accounts {
            var request = Self.request("sla_escalation_withdrawn", order: order, category: .staffSla)
            request.accountId = account
            request.params = ["code": order.code, "stage": stage]
            // Nothing to answer: the order's prompt is the one a reply acknowledges.
            request.subject = nil
            try await enqueue(request, in: tx)
        }
    }

    /// Tells the customer the order is on its way (the dealer accepted it).
    func confirmToCustomer(_ order: OrderRecord, in tx: PostgresTransaction) async throws {
        var request = Self.request("customer_order_confirmed", order: order, category: .customer)
        request.phone = order.customerPhone
        request.params = ["code": order.code]
        request.subject = nil
        try await enqueue(request, in: tx)
    }

    private func enqueue(_ request: Xsc_Notifications_V1_SendRequest, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([enqueueStatement(request)])
    }

    private func enqueueStatement(_ request: Xsc_Notifications_V1_SendRequest) -> PostgresStatement {
        var request = request
        let eventID = Outbox.makeEventID()
        request.idempotencyKey = "orders-" + eventID
        return outbox.enqueueStatement(destination: Self.destination, methodPath: Self.sendPath,
                                       payload: request.serializedBytes(), eventID: eventID)
    }

    private static func request(_ template: String, order: OrderRecord, category: Xsc_Notifications_V1_Category) -> Xsc_Notifications_V1_SendRequest {
        var request = Xsc_Notifications_V1_SendRequest()
        request.template = template
        request.category = category
        request.regionCode = order.regionID
        var subject = Xsc_Notifications_V1_Subject()
        subject.kind = "order"
        subject.id = order.id
        // Codes issued before migration 0007 can be digits only, which notifications refuses
        // as a reply code (and would dead-letter the prompt): such an order's prompt goes
        // without it, and its lead replies `1`.
        subject.shortCode = order.code.contains(where: \.isLetter) ? order.code : ""
        request.subject = subject
        return request
    }

    /// "2件商品 合计¥1,296.00 送至cq-o1-d3" - what a lead needs to decide, without the
    /// customer's phone; the amount as every SMS shows one (`Fen.yuanText`). Built as bytes in
    /// one buffer (interpolation and appends of the non-ASCII parts cost ~3k instructions per
    /// order).
    static func summary(of order: OrderRecord) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48 + order.districtID.utf8.count)
        bytes.append(contentsOf: String(order.lines.reduce(0) { $0 + Int($1.quantity) }).utf8)
        bytes.append(contentsOf: unitsText)
        Fen.appendYuanText(order.totalFen, to: &bytes)
        bytes.append(contentsOf: toText)
        bytes.append(contentsOf: order.districtID.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let unitsText = Array("件商品 合计".utf8)
    private static let toText = Array(" 送至".utf8)
}
