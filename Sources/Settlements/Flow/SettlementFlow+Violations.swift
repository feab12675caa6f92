import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The violation ledger: misses reported by orders (the five-minute rule) and proposals, each
/// classed and priced by the team's table or the company's (seed 003). Closed in the team:
/// only accounts on the violation's team node, and the person itself, read it.
extension SettlementFlow {
    public func recordViolation(_ event: Xsc_Orders_V1_SlaViolation, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if event.eventId.isEmpty { violations.add("event_id", "required") }
        if event.responsibleAccountIds.isEmpty { violations.add("responsible_account_ids", "at least one person") }
        try violations.check()
        let now = clock()
        // Read before the transaction: the directory answers on its own connection.
        let people = try await directory.people(event.responsibleAccountIds)
        return Self.ack(try await pool.transaction { tx in
            guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
            let step = Int(event.step.rawValue)
            let withdrawal = try await ledger.withdrawal(violationEventID: event.eventId, orderID: event.orderId, step: step,
                                                         dueAt: event.dueAtMs, in: tx)
            for person in event.responsibleAccountIds {
                // The person's own team node when the directory knows it, else the order's team.
                let team = people[person]?.nodePath ?? event.creditedTeamPath
                let kind = ViolationRules.personKind(slaStep: event.step)
                let penalty = try await ledger.penalty(teamPath: team, kind: kind, severity: .general, in: tx)
                let violation = ViolationLedgerStore.NewViolation(
                    eventID: event.eventId, personAccountID: person, source: "sla", rule: ViolationRules.slaRule(step: event.step),
                    teamPath: team, reference: event.orderCode, orderID: event.orderId, slaStep: step, dueAtMillis: event.dueAtMs,
                    recordedAtMillis: event.recordedAtMs, severity: .general, personKind: kind,
                    detail: "\(event.stage) 超时 \(event.lateMs / 1000) 秒")
                try await ledger.insert(violation, id: newID(), penaltyFen: penalty, withdrawal: withdrawal, at: now, in: tx)
            }
            return true
        })
    }

    public func recordViolationWithdrawn(_ event: Xsc_Orders_V1_SlaViolationWithdrawn, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if event.eventId.isEmpty { violations.add("event_id", "required") }
        try violations.check()
        return Self.ack(try await pool.transaction { tx in
            guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
            try await ledger.withdraw(eventID: event.eventId, violationEventID: event.violationEventId, orderID: event.orderId,
                                      step: Int(event.step.rawValue), dueAt: event.dueAtMs,
                                      at: event.withdrawnAtMs > 0 ? event.withdrawnAtMs : clock(), detail: event.detail, in: tx)
            return true
        })
    }

    public func recordProposalViolation(_ event: Xsc_Proposals_V1_ProposalViolation, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if event.eventId.isEmpty { violations.add("event_id", "required") }
        if event.personAccountId.isEmpty { violations.add("person_account_id", "required") }
        if event.teamPath.isEmpty { violations.add("team_path", "required") }
        if event.rule.isEmpty { violations.add("rule", "required") }
        try violations.check()
        let now = clock()
        let person = try await directory.people([event.personAccountId])[event.personAccountId]
        return Self.ack(try await pool.transaction { tx in
            guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
            let kind = ViolationRules.personKind(domainRole: person?.domainRole)
            let penalty = try await ledger.penalty(teamPath: event.teamPath, kind: kind, severity: .general, in: tx)
            let violation = ViolationLedgerStore.NewViolation(
                eventID: event.eventId, personAccountID: event.personAccountId, source: "proposal", rule: event.rule,
                teamPath: event.teamPath, reference: event.reference.isEmpty ? event.proposalId : event.reference,
                dueAtMillis: event.dueAtMs, recordedAtMillis: event.recordedAtMs > 0 ? event.recordedAtMs : now,
                severity: .general, personKind: kind, detail: event.detail)
            try await ledger.insert(violation, id: newID(), penaltyFen: penalty, withdrawal: nil, at: now, in: tx)
            return true
        })
    }

    /// The team asked for (default: the caller's own node). Another team's ledger answers
    /// NOT_FOUND, as for a team that does not exist.
    func readableTeam(_ requested: String, person: String, actor: VerifiedActor) throws -> String {
        if !person.isEmpty && person == actor.accountID { return requested }
        let team = requested.isEmpty ? actor.teamPath : requested
        guard !team.isEmpty, team == actor.teamPath else { throw DomainErrors.notFound("team", id: team) }
        return team
    }

    public func listViolations(_ request: Xsc_Settlements_V1_ListViolationsRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ListViolationsResponse {
        let team = try readableTeam(request.teamPath, person: request.personAccountId, actor: actor)
        let (limit, after) = try Self.page(request.page, keyParts: 2)
        return try await pool.transaction { tx in
            let rows = try await ledger.list(teamPath: team, person: request.personAccountId, limit: limit,
                                             after: after.map { ($0.millis ?? 0, $0.parts[1]) }, in: tx)
            var response = Xsc_Settlements_V1_ListViolationsResponse()
            response.violations = rows.map(Self.message)
            response.page = Self.pageInfo(limit: limit, returned: rows.count) {
                [String(rows.last?.recordedAtMillis ?? 0), rows.last?.id ?? ""]
            }
            return response
        }
    }

    public func violationSummary(_ request: Xsc_Settlements_V1_ViolationSummaryRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ViolationSummaryResponse {
        let team = try readableTeam(request.teamPath, person: "", actor: actor)
        let rows = try await pool.transaction { tx in try await ledger.summary(teamPath: team, in: tx) }
        var response = Xsc_Settlements_V1_ViolationSummaryResponse()
        response.teamPath = team
        var people: [String: Xsc_Settlements_V1_PersonViolationSummary] = [:]
        for row in rows {
            var person = people[row.person] ?? Xsc_Settlements_V1_PersonViolationSummary()
            person.personAccountId = row.person
            switch row.severity {
            case "serious": person.serious += Int32(row.count)
            case "severe": person.severe += Int32(row.count)
            default: person.general += Int32(row.count)
            }
            person.penaltyFen += row.penalty
            people[row.person] = person
            response.count += Int32(row.count)
            response.penaltyFen += row.penalty
        }
        response.people = people.keys.sorted().map { people[$0]! }
        return response
    }
}
