import Postgres
import ServiceKitStore

/// What happens when a person-step's deadline passes with the step still open: an SLA
/// violation row, an `sla_violation` event, the violation for the register (settlements,
/// through the outbox), and an escalation SMS to the next superior
/// (office step -> the routing's escalation accounts; district lead -> the office lead who
/// forwarded; dealer -> the lead who assigned). The order itself is untouched, so a late
/// acknowledgement still works, and one that counts from before the deadline (an SMS reply
/// that reached orders late) withdraws the miss again (`SLAWithdrawal`).
extension OrderFlow {
    /// The timer handlers of the order area, keyed by timer kind (for `TimerWorker`).
    public var timerHandlers: [String: TimerHandler] {
        var handlers: [String: TimerHandler] = [:]
        for step in SLADeadlines.Step.allCases {
            handlers[step.rawValue] = { [self] firing, tx in
                try await deadlinePassed(step, orderID: firing.subjectID, dueAt: firing.dueAtMillis, in: tx)
            }
        }
        return handlers
    }

    /// `escalate: false` when the step is being done right now (late): the miss stands, but
    /// there is nothing left for a superior to chase.
    func deadlinePassed(_ step: SLADeadlines.Step, orderID: String, dueAt: Int64, escalate: Bool = true,
                        in tx: PostgresTransaction) async throws {
        guard let order = try await store.lockForSystem(orderID, in: tx),
              let routing = try await catalog.routing(district: order.districtID, in: tx),
              let (responsible, superiors) = Self.openStep(step, order: order, routing: routing) else {
            return // the step was completed (or the order cancelled) as the timer fired
        }
        let now = clock()
        let miss = SLAMiss(order: order, step: step, responsible: responsible, escalatedTo: superiors,
                           dueAtMillis: dueAt, recordedAtMillis: now)
        // The event id is kept with the row: a later withdrawal names the violation by it.
        let eventID = Outbox.makeEventID()
        _ = try await tx.run([
            violations.insertStatement(miss, eventID: eventID),
            store.eventStatement(orderID: order.id, kind: "sla_violation", from: order.state, to: order.state, actor: .system,
                                 at: now, detail: "\(step.rawValue) missed by \(responsible.joined(separator: ","))"),
        ])
        if escalate {
            try await notifier.escalate(to: superiors, order: order, stage: step.stageName,
                                        overdueMinutes: max(1, Int((now - dueAt) / 60_000)), responsible: responsible, in: tx)
        }
        try await publisher.violation(miss, eventID: eventID, in: tx)
    }

    /// A deadline can pass while its timer waits for the worker's next round, or while orders
    /// was down: a step done after its deadline but before the timer fired is still a miss.
    /// Called with the order locked, before the transition that completes the step, so the
    /// miss is recorded once (the step's timer is then cancelled by the transition).
    func recordOverdueSteps(of order: OrderRecord, routing: Routing, doneAt: Int64, in tx: PostgresTransaction) async throws {
        for step in SLADeadlines.Step.allCases where Self.openStep(step, order: order, routing: routing) != nil {
            guard let due = try await deadlines.pendingDue(step, orderID: order.id, in: tx), due < doneAt else { continue }
            try await deadlinePassed(step, orderID: order.id, dueAt: due, escalate: false, in: tx)
        }
    }

    /// Who owes the step and who hears about the miss; nil when the step is no longer open.
    static func openStep(_ step: SLADeadlines.Step, order: OrderRecord, routing: Routing) -> (responsible: [String], superiors: [String])? {
        let forwarder = order.acknowledgedBy.isEmpty ? routing.officeLeads : [order.acknowledgedBy]
        switch (step, order.state) {
        case (.acknowledge, .received):
            return (routing.officeLeads, routing.escalation)
        case (.acknowledge, .assigned) where order.assigneeKind == "district_lead":
            return ([order.assigneeAccountID], forwarder)
        case (.assign, .acknowledged):
            let byOfficeLead = routing.officeLeads.contains(order.acknowledgedBy)
            return ([order.acknowledgedBy], byOfficeLead ? routing.escalation : routing.officeLeads)
        case (.accept, .assigned) where order.assigneeKind == "dealer":
            return ([order.assigneeAccountID], forwarder)
        default:
            return nil
        }
    }
}
