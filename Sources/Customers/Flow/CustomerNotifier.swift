import DomainKit
import Messages
import Postgres
import ServiceAPI
import ServiceKitStore

/// SMS to people by account id through the notifications service, queued in the outbox with
/// the business change (templates: customer_duplicate_attempt, followup_assigned,
/// followup_reminder, customer_near_duplicate). If notifications is down, the rows wait.
struct CustomerNotifier: Sendable {
    static let destination = "notifications"
    static let sendPath = Xsc_Notifications_V1_NotificationServiceClient.Paths.send
    let outbox: Outbox

    func send(_ template: String, to account: String, params: [String: String], region: String,
              in tx: PostgresTransaction) async throws {
        guard !account.isEmpty else { return }
        var request = Xsc_Notifications_V1_SendRequest()
        request.accountId = account
        request.template = template
        request.params = params.mapValues(Self.param)
        request.category = .staffSla
        request.regionCode = region
        let eventID = Outbox.makeEventID()
        request.idempotencyKey = "customers-" + eventID
        try await outbox.enqueue(in: tx, destination: Self.destination, methodPath: Self.sendPath,
                                 payload: request.serializedBytes(), eventID: eventID)
    }

    /// A value the renderer accepts: one line, no braces, never empty, short enough for an SMS.
    static func param(_ value: String) -> String {
        var text = String(value.map { $0 == "{" ? "(" : $0 == "}" ? ")" : $0 }
            .filter { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        text = text.trimmedForPeople
        if text.count > 60 { text = String(text.prefix(59)) + "…" }
        return text.isEmpty ? "-" : text
    }
}
