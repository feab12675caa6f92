import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The deadline, in two durable timers (xsc_timers, claimed FOR UPDATE SKIP LOCKED, so any
/// replica fires each once):
/// - `campaign-deadline` (due at the deadline) decides: the campaign row is locked FOR UPDATE,
///   which waits for joins in flight (they hold it FOR SHARE) and turns away later ones; enough
///   units joined (成团) → succeeded, else failed. The lists follow from that moment (they
///   are queries over the participations, which no longer change).
/// - `campaign-release` then works through the participations `releaseBatch` at a time, one
///   transaction per round, rescheduling itself while some are left: on success each becomes
///   an order of the order area (PlaceCampaignOrder through the outbox: normal routing and
///   the five-minute flow from then on) and its participant gets the pickup code by SMS; on
///   failure each is cancelled, its payment marked for refund, and its participant told.
extension CampaignFlow {
    public var timerHandlers: [String: TimerHandler] {
        [
            Self.deadlineTimer: { firing, tx in try await self.decide(campaignID: firing.subjectID, in: tx) },
            Self.releaseTimer: { firing, tx in try await self.release(campaignID: firing.subjectID, in: tx) },
        ]
    }

    func decide(campaignID: String, in tx: PostgresTransaction) async throws {
        guard let campaign = try await campaigns.campaign(id: campaignID, in: tx, lock: "FOR UPDATE"), campaign.state == "open" else {
            return
        }
        let units = try await closes.joinedUnits(campaign: campaignID, in: tx)
        let now = clock()
        try await closes.close(campaign: campaignID, state: units >= Int64(campaign.minQuantity) ? "succeeded" : "failed", at: now, in: tx)
        try await timers.schedule(in: tx, kind: Self.releaseTimer, subjectID: campaignID, dueAtMillis: now)
    }

    func release(campaignID: String, in tx: PostgresTransaction) async throws {
        guard let campaign = try await campaigns.campaign(id: campaignID, in: tx), campaign.state != "open" else { return }
        let succeeded = campaign.state == "succeeded"
        let batch = try await participations.nextJoined(campaign: campaignID, limit: releaseBatch, in: tx)
        guard !batch.isEmpty else { return }
        let points = Dictionary(uniqueKeysWithValues: try await campaigns.points(of: campaignID, in: tx).map { ($0.id, $0) })
        var statements = [participations.setStateStatement(ids: batch.map(\.id), state: succeeded ? "ordered" : "cancelled",
                                                            refundDue: !succeeded)]
        for participation in batch {
            if succeeded, let point = points[participation.pickupPointID] {
                statements.append(messages.placeOrder(participation, campaign: campaign, point: point))
                statements.append(messages.succeeded(participation, campaign: campaign, point: point))
            } else {
                statements.append(messages.failed(participation, campaign: campaign))
            }
        }
        _ = try await tx.run(statements)
        if batch.count == releaseBatch {
            try await timers.schedule(in: tx, kind: Self.releaseTimer, subjectID: campaignID, dueAtMillis: clock())
        }
    }
}
