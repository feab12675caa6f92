import DomainKit
import Foundation
import Messages
import Postgres
import ServiceAPI
import ServiceKitStore

/// SMS to people by account id through the notifications service, queued in the outbox with
/// the business change (notifications mirrors each in the recipient's inbox). Templates are
/// notifications' (Rules/Templates.swift: proposal_* and team_notice, notice_answered).
struct ProposalNotifier: Sendable {
    static let destination = "notifications"
    static let sendPath = Xsc_Notifications_V1_NotificationServiceClient.Paths.send
    let outbox: Outbox

    /// No `subject`: notifications takes replies to order prompts only (subject kind "order").
    func send(_ template: String, to accounts: [String], params: [String: String], teamPath: String,
              in tx: PostgresTransaction) async throws {
        var seen = Set<String>()
        var statements: [PostgresStatement] = []
        for account in accounts where !account.isEmpty && seen.insert(account).inserted {
            var request = Xsc_Notifications_V1_SendRequest()
            request.accountId = account
            request.template = template
            request.params = params
            // Deadlines of staff: sent at any hour, like the order area's prompts.
            request.category = .staffSla
            request.regionCode = OrgPath.region(of: teamPath) ?? "hq"
            let eventID = Outbox.makeEventID()
            request.idempotencyKey = "proposals-" + eventID
            statements.append(outbox.enqueueStatement(destination: Self.destination, methodPath: Self.sendPath,
                                                      payload: request.serializedBytes(), eventID: eventID))
        }
        if !statements.isEmpty { _ = try await tx.run(statements) }
    }
}

/// Violations for the ledger in settlements (events.proto ProposalViolation), queued in the
/// outbox with the row that records them; the event id is the row's, so settlements records
/// each once however often it arrives.
struct ViolationPublisher: Sendable {
    static let destination = "settlements"
    static let path = Xsc_Settlements_V1_SettlementServiceClient.Paths.recordProposalViolation
    let outbox: Outbox

    func publish(_ violation: ViolationRecord, eventID: String, in tx: PostgresTransaction) async throws {
        var event = Xsc_Proposals_V1_ProposalViolation()
        event.eventId = eventID
        event.rule = violation.rule.rawValue
        event.personAccountId = violation.person
        event.teamPath = violation.teamPath
        event.proposalId = violation.proposalID
        event.reference = violation.reference
        event.dueAtMs = violation.dueAtMillis
        event.recordedAtMs = violation.recordedAtMillis
        event.detail = violation.detail
        try await outbox.enqueue(in: tx, destination: Self.destination, methodPath: Self.path, message: event, eventID: eventID)
    }
}
