import Messages
import Postgres
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// Tells orders that an order prompt or return-visit reminder never reached its person
/// (`PromptUndelivered`, through the outbox in the caller's transaction, once per message).
struct UndeliveredPrompts: Sendable {
    static let path = Xsc_Orders_V1_OrderServiceClient.Paths.promptUndelivered
    static let orderSubjects: Set<String> = ["order", "order_visit"]
    let clock: WallClock

    func report(messageID: String, account: String?, subjectKind: String, orderID: String, reason: String, at: Int64,
                in tx: PostgresTransaction) async throws {
        guard Self.orderSubjects.contains(subjectKind), let account, !account.isEmpty, !orderID.isEmpty else { return }
        var request = Xsc_Orders_V1_PromptUndeliveredRequest()
        request.orderId = orderID
        request.accountId = account
        request.messageId = messageID
        request.reason = reason
        request.reportedAtMs = at
        try await Outbox(clock: clock).enqueue(in: tx, destination: InboundReplies.ordersDestination, methodPath: Self.path,
                                               message: request, eventID: "undelivered-" + messageID)
    }
}
