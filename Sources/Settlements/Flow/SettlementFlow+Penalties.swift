import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Proven channel conflicts and a team's own penalty table (seed 003).
extension SettlementFlow {
    public func recordChannelConflict(_ request: Xsc_Settlements_V1_RecordChannelConflictRequest, actor: VerifiedActor,
                                      idempotencyKey: String?) async throws -> Xsc_Settlements_V1_Violation {
        // Orders' outbox (a flag its reviewer classed, signed as orders' SYSTEM actor) or the
        // region's manager directly; the system caller's person may be in any region.
        let fromOrders = actor.role == .system
        let managerRegion = actor.regionID
        guard fromOrders || (actor.isRegionalManager && managerRegion != nil) else {
            throw DomainErrors.refused(.permissionDenied, "the regional manager records proven channel conflicts",
                                       reason: "REGIONAL_MANAGER_REQUIRED")
        }
        let detail = request.detail.trimmedForPeople
        var violations = FieldViolations()
        if request.personAccountId.isEmpty { violations.add("person_account_id", "required") }
        let severity = ViolationSeverity(request.class)
        if severity == nil { violations.add("class", "general, serious or severe") }
        if request.reference.trimmedForPeople.isEmpty { violations.add("reference", "required: the order code or case") }
        violations.add("detail", ifProblem: PeopleText.problem(with: detail, maxLength: 500))
        try violations.check()
        guard let key = idempotencyKey else { throw Self.keyRequired }
        // The person must be known and in the manager's region; anyone else is "not found".
        guard let person = try await directory.people([request.personAccountId])[request.personAccountId],
              fromOrders || SettlementRoles.region(ofPath: person.nodePath) == managerRegion else {
            throw DomainErrors.notFound("account", id: request.personAccountId)
        }
        let now = clock()
        return try await pool.transaction { tx in
            try await idempotency.run(in: tx, scope: "settlements.RecordChannelConflict/\(actor.accountID)", key: key, request: request) {
                let kind = ViolationRules.personKind(domainRole: person.domainRole)
                let penalty = try await ledger.penalty(teamPath: person.nodePath, kind: kind, severity: severity!, in: tx)
                let id = newID()
                let violation = ViolationLedgerStore.NewViolation(
                    eventID: "channel:\(id)", personAccountID: person.accountID, source: "channel", rule: "channel_conflict",
                    teamPath: person.nodePath, reference: request.reference.trimmedForPeople,
                    dueAtMillis: request.occurredAtMs > 0 ? request.occurredAtMs : now, recordedAtMillis: now,
                    severity: severity!, personKind: kind, detail: detail)
                try await ledger.insert(violation, id: id, penaltyFen: penalty, withdrawal: nil, at: now, in: tx)
                return Self.message(try await ledger.load(id: id, in: tx)!)
            }
        }
    }

    public func setTeamPenalty(_ request: Xsc_Settlements_V1_SetTeamPenaltyRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_SetTeamPenaltyResponse {
        guard actor.domainRole == "team_admin" || (actor.domainRole.isEmpty && actor.role == .admin), !actor.teamPath.isEmpty else {
            throw DomainErrors.refused(.permissionDenied, "a team admin sets the team's own penalties", reason: "TEAM_ADMIN_REQUIRED")
        }
        var violations = FieldViolations()
        let severity = ViolationSeverity(request.class)
        let kind = PersonKind(request.personKind)
        if severity == nil { violations.add("class", "general, serious or severe") }
        if kind == nil { violations.add("person_kind", "staff or dealer") }
        violations.add("penalty_fen", ifProblem: Fen.problem(with: request.penaltyFen, allowZero: true))
        try violations.check()
        try await pool.transaction { tx in
            try await ledger.setTeamPenalty(teamPath: actor.teamPath, kind: kind!, severity: severity!, penaltyFen: request.penaltyFen, in: tx)
        }
        var response = Xsc_Settlements_V1_SetTeamPenaltyResponse()
        response.teamPath = actor.teamPath
        response.class = request.class
        response.personKind = request.personKind
        response.penaltyFen = request.penaltyFen
        return response
    }
}
