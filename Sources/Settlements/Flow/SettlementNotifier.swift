import DomainKit
import Messages
import Postgres
import ServiceKitStore

/// SMS to payees through the notifications service, queued in settlements' outbox with the
/// change that causes them (templates reward_approved, reward_paid). If notifications is down
/// the rows wait; the relay retries.
struct SettlementNotifier: Sendable {
    static let destination = "notifications"
    static let sendPath = "/xsc.notifications.v1.NotificationService/Send"
    let outbox: Outbox

    /// The payee's statement was signed: its amount will be paid on Monday.
    func approved(_ statement: StatementRow, in tx: PostgresTransaction) async throws {
        guard statement.payableFen > 0 else { return }
        try await send("reward_approved", to: statement, params: ["week": statement.weekName, "amount": Fen.yuanText(statement.payableFen)],
                       in: tx)
    }

    func paid(_ statement: StatementRow, reference: String, in tx: PostgresTransaction) async throws {
        try await send("reward_paid", to: statement, params: ["week": statement.weekName, "amount": Fen.yuanText(statement.payableFen),
                                                              "reference": reference], in: tx)
    }

    private func send(_ template: String, to statement: StatementRow, params: [String: String], in tx: PostgresTransaction) async throws {
        var request = Xsc_Notifications_V1_SendRequest()
        request.accountId = statement.payeeAccountID
        request.template = template
        request.params = params
        request.category = .staffSla
        request.regionCode = statement.regionID
        let eventID = Outbox.makeEventID()
        request.idempotencyKey = "settlements-" + eventID
        try await outbox.enqueue(in: tx, destination: Self.destination, methodPath: Self.sendPath, message: request, eventID: eventID)
    }
}
