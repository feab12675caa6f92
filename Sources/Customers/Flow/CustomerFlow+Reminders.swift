import DomainKit
import Foundation
import Messages
import Postgres
import ServiceKitStore

/// The due follow-up reminder: a durable timer per customer (`xsc_timers`, claimed with SKIP
/// LOCKED, so any number of replicas fire it once), its SMS queued in the same transaction.
extension CustomerFlow {
    public var timerHandlers: [String: TimerHandler] {
        let flow = self
        return [Self.reminderTimer: { firing, tx in try await flow.remind(firing, in: tx) }]
    }

    func remind(_ firing: TimerFiring, in tx: PostgresTransaction) async throws {
        guard let customer = try await store.load(firing.subjectID, in: tx) else { return } // merged away or gone
        // A later follow-up moved or cleared the time: that one's timer (or none) reminds.
        guard customer.nextFollowUpAtMillis == firing.dueAtMillis else { return }
        let owner = customer.ownerAccountID.isEmpty ? customer.createdBy : customer.ownerAccountID
        let latest = try await followUps.list(customerID: customer.id, after: nil, limit: 1, in: tx).first
        try await notifier.send("followup_reminder", to: owner,
                                params: ["customer": customer.name, "due": BusinessCalendar.organisation(timeZone).clockText(firing.dueAtMillis),
                                         "note": latest?.content ?? "-"],
                                region: TeamMember.regionCode(of: customer.teamPath), in: tx)
    }
}
