import DomainKit
import Postgres
import ServiceKitStore

/// What happens when a person-step's deadline passes with the step still open: one SLA
/// violation row per person who owed the step (so per-person ledgers and penalties are right),
/// an `sla_violation` event, each violation for the register (settlements, through the outbox),
/// and an escalation that climbs the organisation: the first superior up the tree is told at
/// once, and while nobody acts the next one up one SLA period later, hop after hop (district
/// lead -> office lead -> the region's customer service -> regional manager; the directory's
/// `superiors`). A person whose prompt the provider reported undelivered owes nothing
/// (`PromptUndelivered`). The order itself is untouched, so a late step still works, and one
/// that counts from before the deadline (an SMS reply that reached orders late) withdraws the
/// miss again (`SLAWithdrawal`).
extension OrderFlow {
    /// The timer handlers of the order area, keyed by timer kind (for `TimerWorker`).
    public var timerHandlers: [String: TimerHandler] {
        var handlers: [String: TimerHandler] = [:]
        for step in SLADeadlines.Step.allCases {
            handlers[step.rawValue] = { [self] firing, tx in
                try await deadlinePassed(step, orderID: firing.subjectID, dueAt: firing.dueAtMillis, in: tx)
            }
        }
        handlers[SLADeadlines.escalationKind] = { [self] firing, tx in
            try await escalationHopDue(orderID: firing.subjectID, payload: firing.payload, in: tx)
        }
        return handlers
    }

    /// `escalate: false` when the step is being done right now (late): the miss stands, but
    /// there is nothing left for a superior to chase.
    func deadlinePassed(_ step: SLADeadlines.Step, orderID: String, dueAt: Int64, escalate: Bool = true,
                        in tx: PostgresTransaction) async throws {
        guard let order = try await store.lockForSystem(orderID, in: tx),
              let routing = try await catalog.routing(district: order.districtID, in: tx),
              let (responsible, legacy) = Self.openStep(step, order: order, routing: routing) else {
            return // the step was completed (or the order cancelled) as the timer fired
        }
        let undelivered = try await violations.undeliveredAccounts(orderID: order.id, in: tx)
        let owing = responsible.filter { !undelivered.contains($0) }
        let ladder = try await escalationLadder(step, order: order, responsible: responsible, legacy: legacy)
        let firstHop = ladder.first ?? []
        let now = clock()
        for person in owing {
            let miss = SLAMiss(order: order, step: step, responsible: [person], escalatedTo: firstHop,
                               dueAtMillis: dueAt, recordedAtMillis: now)
            // The event id is kept with the row: a later withdrawal names the violation by it.
            let eventID = Outbox.makeEventID()
            _ = try await tx.run([violations.insertStatement(miss, eventID: eventID)])
            try await publisher.violation(miss, eventID: eventID, in: tx)
        }
        if !owing.isEmpty {
            _ = try await tx.run([store.eventStatement(orderID: order.id, kind: "sla_violation", from: order.state, to: order.state,
                                                       actor: .system, at: now,
                                                       detail: "\(step.rawValue) missed by \(owing.joined(separator: ","))")])
        } else {
            // Nobody owed it, so no miss is written; the event still marks the passing (history,
            // and the board's watchers, who learn of changes only from events).
            _ = try await tx.run([store.eventStatement(orderID: order.id, kind: "sla_escalated", from: order.state, to: order.state,
                                                       actor: .system, at: now,
                                                       detail: "\(step.rawValue) deadline passed; every prompt undelivered")])
        }
        if escalate && !firstHop.isEmpty {
            // When nobody owed it (every prompt undelivered), the first superior was told at once
            // by `promptUndelivered`; the ladder goes on from the next one.
            if !owing.isEmpty {
                try await notifier.escalate(to: firstHop, order: order, stage: step.stageName,
                                            overdueMinutes: max(1, Int((now - dueAt) / 60_000)), responsible: responsible, in: tx)
            }
            if ladder.count > 1 {
                try await deadlines.scheduleHop(step, hop: 1, dueAt: dueAt, orderID: order.id, routing: routing, now: now, in: tx)
            }
        }
    }

    /// The next hop of a ladder whose step is still open: the next superior up is told, and the
    /// one after that is scheduled.
    func escalationHopDue(orderID: String, payload: [UInt8], in tx: PostgresTransaction) async throws {
        let parts = String(decoding: payload, as: UTF8.self).split(separator: "|")
        guard parts.count == 3, let step = SLADeadlines.Step(rawValue: String(parts[0])), let hop = Int(parts[1]),
              let due = Int64(parts[2]),
              let order = try await store.lockForSystem(orderID, in: tx),
              let routing = try await catalog.routing(district: order.districtID, in: tx),
              let (responsible, legacy) = Self.openStep(step, order: order, routing: routing) else { return }
        let ladder = try await escalationLadder(step, order: order, responsible: responsible, legacy: legacy)
        guard hop < ladder.count else { return }
        let now = clock()
        try await notifier.escalate(to: ladder[hop], order: order, stage: step.stageName,
                                    overdueMinutes: max(1, Int((now - due) / 60_000)), responsible: responsible, in: tx)
        _ = try await tx.run([store.eventStatement(orderID: order.id, kind: "sla_escalated", from: order.state, to: order.state,
                                                   actor: .system, at: now,
                                                   detail: "\(step.rawValue) hop \(hop + 1): \(ladder[hop].joined(separator: ","))")])
        if hop + 1 < ladder.count {
            try await deadlines.scheduleHop(step, hop: hop + 1, dueAt: due, orderID: order.id, routing: routing, now: now, in: tx)
        }
    }

    /// Who hears about a miss, level by level: the superiors of the person who owed the step
    /// (the dealer's: the lead who assigned it, then that lead's superiors), as the directory
    /// knows them, within the order area's leading roles (HQ is not paged). When the directory
    /// knows nobody (an account it has not heard of yet), the routing's hand-entered escalation
    /// accounts or the forwarding lead, as before.
    func escalationLadder(_ step: SLADeadlines.Step, order: OrderRecord, responsible: [String],
                          legacy: [String]) async throws -> [[String]] {
        let areaRoles: Set<DomainRole> = [.districtOrderLead, .officeOrderLead, .customerService, .regionalManager]
        let base = step == .accept ? legacy.first : responsible.first
        var ladder: [[String]] = step == .accept && !legacy.isEmpty ? [legacy] : []
        if let base {
            for level in try await directory.superiors(of: base) {
                let people = level.filter { account in
                    account.role.map(areaRoles.contains) ?? false && OrgPath.region(of: account.nodePath) == order.regionID
                }.map(\.id)
                if !people.isEmpty && !ladder.contains(people) { ladder.append(people) }
            }
        }
        if ladder.isEmpty && !legacy.isEmpty { ladder = [legacy] }
        return ladder
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

    /// Who owes the step and who heard about misses before the ladder (the routing's escalation
    /// accounts, the forwarding lead); nil when the step is no longer open.
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
        case (.returnVisit, .delivered):
            return (routing.officeLeads, routing.escalation)
        default:
            return nil
        }
    }
}
