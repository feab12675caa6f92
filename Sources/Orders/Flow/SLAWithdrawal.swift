import Postgres
import ServiceKitStore

/// A miss is a penalty on a person, so it must not stand when the person was in time. That
/// happens when an acknowledgement counts from before the deadline but reaches orders after
/// the deadline timer fired: an SMS reply (counted at the reply's own time) held in
/// notifications' outbox while orders was down longer than the SLA. The acknowledgement then
/// withdraws the miss in its own transaction: the row is marked (it stays, for the record), the
/// order gets a `sla_violation_withdrawn` event, and settlements an `SlaViolationWithdrawn`
/// naming the violation's event, so a penalty already booked is reversed, and the superiors the
/// escalation SMS went to get an `sla_escalation_withdrawn` SMS ("done in time, ignore the
/// reminder"). A step done after its deadline keeps its miss.
extension OrderFlow {
    /// Withdraws the standing misses of `step` on `order` whose deadline had not passed at
    /// `doneAt`. Runs with the order locked, after the step's transition, so a redelivered
    /// acknowledgement (which finds the order moved on, or the rows withdrawn) does nothing.
    func withdrawMisses(of step: SLADeadlines.Step, order: OrderRecord, doneAt: Int64, doneBy: String,
                        in tx: PostgresTransaction) async throws {
        let standing = try await violations.standingMisses(orderID: order.id, step: step, dueNotBefore: doneAt, in: tx)
        guard !standing.isEmpty else { return }
        let now = clock()
        for violation in standing {
            let withdrawal = SLAWithdrawal(order: order, step: step, violation: violation, doneAtMillis: doneAt,
                                           doneBy: doneBy, withdrawnAtMillis: now)
            let eventID = Outbox.makeEventID()
            _ = try await tx.run([
                violations.withdrawStatement(id: violation.id, at: now, eventID: eventID, reason: withdrawal.detail),
                store.eventStatement(orderID: order.id, kind: "sla_violation_withdrawn", from: order.state, to: order.state,
                                     actor: .system, at: now, detail: withdrawal.detail),
            ])
            try await publisher.violationWithdrawn(withdrawal, eventID: eventID, in: tx)
            try await notifier.withdrawEscalation(to: violation.escalatedTo, order: order, stage: step.stageName, in: tx)
        }
    }
}

/// A recorded miss withdrawn because its step was done in time.
struct SLAWithdrawal: Sendable {
    var order: OrderRecord
    var step: SLADeadlines.Step
    var violation: ViolationStore.Standing
    var doneAtMillis: Int64
    var doneBy: String
    var withdrawnAtMillis: Int64
    /// Set when the miss is voided for another reason than a step done in time (the prompt
    /// never reached the person).
    var reason: String? = nil

    /// For the order's event log, the violations register and settlements' people.
    var detail: String {
        if let reason { return "\(step.rawValue) miss of \(violation.responsible.joined(separator: ",")) withdrawn: \(reason)" }
        let early = (violation.dueAtMillis - doneAtMillis) / 1000
        return "\(step.rawValue) miss of \(violation.responsible.joined(separator: ",")) withdrawn: done by \(doneBy) "
            + "\(early) s before the deadline; that reached orders only after the miss was recorded"
    }
}
