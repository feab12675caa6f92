import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// A prompt the SMS provider reported as failed or undelivered (notifications tells orders
/// through its outbox). The person was never told, so a miss recorded against them on this
/// order is withdrawn with that reason (settlements reverses any penalty), a later deadline
/// records none against them, and the next person up the ladder is prompted at once instead of
/// waiting for the deadline.
extension OrderFlow {
    public func promptUndelivered(_ request: Xsc_Orders_V1_PromptUndeliveredRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_PromptUndeliveredResponse {
        try Self.requireNotifications(actor)
        var problems = FieldViolations()
        if request.orderId.isEmpty { problems.add("order_id", "required") }
        if request.accountId.isEmpty { problems.add("account_id", "required") }
        if request.messageId.isEmpty { problems.add("message_id", "required") }
        try problems.check()
        let reason = "prompt undelivered (\(String(request.reason.trimmedForPeople.prefix(64))))"
        return try await pool.transaction { tx in
            var response = Xsc_Orders_V1_PromptUndeliveredResponse()
            guard let order = try await store.lockForSystem(request.orderId, in: tx) else { throw RPCError.orderNotFound(request.orderId) }
            let now = clock()
            let at = request.reportedAtMs > 0 ? min(request.reportedAtMs, now) : now
            guard try await violations.recordUndelivered(messageID: request.messageId, orderID: order.id, account: request.accountId,
                                                         reason: reason, at: at, in: tx) else { return response }
            for (stepName, standing) in try await violations.standingMisses(orderID: order.id, account: request.accountId, in: tx) {
                guard let step = SLADeadlines.Step(rawValue: stepName) else { continue }
                let withdrawal = SLAWithdrawal(order: order, step: step, violation: standing, doneAtMillis: at, doneBy: "",
                                               withdrawnAtMillis: now, reason: reason)
                let eventID = Outbox.makeEventID()
                _ = try await tx.run([
                    violations.withdrawStatement(id: standing.id, at: now, eventID: eventID, reason: withdrawal.detail),
                    store.eventStatement(orderID: order.id, kind: "sla_violation_withdrawn", from: order.state, to: order.state,
                                         actor: .system, at: now, detail: withdrawal.detail),
                ])
                try await publisher.violationWithdrawn(withdrawal, eventID: eventID, in: tx)
                response.withdrawn += 1
            }
            // The next person up, at once - if the step the prompt was for is still open and
            // the unreached person is among those who owe it.
            guard let routing = try await catalog.routing(district: order.districtID, in: tx) else { return response }
            for step in SLADeadlines.Step.allCases {
                guard let (responsible, legacy) = Self.openStep(step, order: order, routing: routing),
                      responsible.contains(request.accountId) else { continue }
                let ladder = try await escalationLadder(step, order: order, responsible: responsible, legacy: legacy)
                if let next = ladder.first {
                    try await notifier.promptUndelivered(to: next, order: order, stage: step.stageName, missing: request.accountId, in: tx)
                    response.escalatedTo = next
                }
                // Recorded even with nobody above to tell: the order's log shows it, and the
                // operations board's watchers learn of it from this event (BoardHub).
                let told = ladder.first.map { "told \($0.joined(separator: ","))" } ?? "nobody above to tell"
                _ = try await tx.run([store.eventStatement(orderID: order.id, kind: "prompt_undelivered", from: order.state,
                                                           to: order.state, actor: .system, at: now,
                                                           detail: "\(step.rawValue) prompt to \(request.accountId) undelivered; \(told)")])
                break
            }
            return response
        }
    }
}
