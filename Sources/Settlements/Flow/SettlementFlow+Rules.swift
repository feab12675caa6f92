import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Reward rules per region (set by its regional manager) and the recruiter relation.
extension SettlementFlow {
    public func setRewardRule(_ request: Xsc_Settlements_V1_SetRewardRuleRequest, actor: VerifiedActor,
                              idempotencyKey: String?) async throws -> Xsc_Settlements_V1_RewardRule {
        guard actor.isRegionalManager, let region = actor.regionID else {
            throw DomainErrors.refused(.permissionDenied, "only the region's regional manager sets its reward rules",
                                       reason: "REGIONAL_MANAGER_REQUIRED")
        }
        let now = clock()
        let effectiveFrom = request.effectiveFromMs == 0 ? now : request.effectiveFromMs
        var violations = FieldViolations()
        if request.regionId != region { violations.add("region_id", "must be your own region (\(region))") }
        // Never retroactive: a rule takes effect now or later, so no accrued reward changes.
        if effectiveFrom < now { violations.add("effective_from_ms", "must not be in the past (rules are never retroactive)") }
        if !(0...10_000).contains(request.percentBasisPoints) { violations.add("percent_basis_points", "0 to 10000 (100%)") }
        if !(0...10_000).contains(request.level2BasisPoints) { violations.add("level2_basis_points", "0 to 10000 (100% of level 1)") }
        var perUnit: [String: Int64] = [:]
        for (index, rate) in request.perUnit.enumerated() {
            if rate.skuId.isEmpty { violations.add("per_unit[\(index)].sku_id", "required") }
            if perUnit[rate.skuId] != nil { violations.add("per_unit[\(index)].sku_id", "listed twice") }
            violations.add("per_unit[\(index)].fen_per_unit", ifProblem: Fen.problem(with: rate.fenPerUnit, allowZero: true))
            perUnit[rate.skuId] = rate.fenPerUnit
        }
        try violations.check()
        guard let key = idempotencyKey else { throw Self.keyRequired }
        return try await pool.transaction { tx in
            try await idempotency.run(in: tx, scope: "settlements.SetRewardRule/\(actor.accountID)", key: key, request: request) {
                try await rules.lockRegion(region, in: tx)
                let version = try await rules.nextVersion(region: region, in: tx)
                let set = RewardRuleSet(regionID: region, version: version, effectiveFromMillis: effectiveFrom,
                                        percentBasisPoints: request.percentBasisPoints, perUnitFen: perUnit,
                                        level2BasisPoints: request.level2BasisPoints)
                try await rules.insert(set, createdBy: actor.accountID, at: now, in: tx)
                return Self.message(StoredRule(set: set, createdBy: actor.accountID, createdAtMillis: now))
            }
        }
    }

    public func listRewardRules(_ request: Xsc_Settlements_V1_ListRewardRulesRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ListRewardRulesResponse {
        guard let region = actor.regionID, request.regionId.isEmpty || request.regionId == region else {
            throw DomainErrors.notFound("region", id: request.regionId)
        }
        var response = Xsc_Settlements_V1_ListRewardRulesResponse()
        response.rules = try await pool.transaction { tx in try await rules.list(region: region, in: tx) }.map(Self.message)
        return response
    }

    public func setRecruiter(_ request: Xsc_Settlements_V1_SetRecruiterRequest, actor: VerifiedActor,
                             idempotencyKey: String?) async throws -> Xsc_Settlements_V1_RecruiterResponse {
        guard actor.maySetRecruiter else {
            throw DomainErrors.refused(.permissionDenied, "only a regional manager or a team admin sets recruiters",
                                       reason: "RECRUITER_ADMIN_REQUIRED")
        }
        var violations = FieldViolations()
        if request.intermediaryAccountId.isEmpty { violations.add("intermediary_account_id", "required") }
        if request.recruiterAccountId == request.intermediaryAccountId, !request.recruiterAccountId.isEmpty {
            violations.add("recruiter_account_id", "an intermediary cannot recruit itself")
        }
        try violations.check()
        guard let key = idempotencyKey else { throw Self.keyRequired }
        // Only within the caller's reach: a team admin for the intermediaries of its own team,
        // a regional manager for those of its region; anyone else's is "not found".
        let people = try await directory.people([request.intermediaryAccountId, request.recruiterAccountId].filter { !$0.isEmpty })
        guard let intermediary = people[request.intermediaryAccountId], Self.mayManage(intermediary, actor) else {
            throw DomainErrors.notFound("account", id: request.intermediaryAccountId)
        }
        if !request.recruiterAccountId.isEmpty && people[request.recruiterAccountId] == nil {
            throw DomainErrors.notFound("account", id: request.recruiterAccountId)
        }
        let now = clock()
        return try await pool.transaction { tx in
            try await idempotency.run(in: tx, scope: "settlements.SetRecruiter/\(actor.accountID)", key: key, request: request) {
                try await recruiters.set(intermediary: request.intermediaryAccountId, recruiter: request.recruiterAccountId,
                                         by: actor.accountID, role: actor.domainRole.isEmpty ? "\(actor.role)" : actor.domainRole,
                                         at: now, in: tx)
                var response = Xsc_Settlements_V1_RecruiterResponse()
                response.intermediaryAccountId = request.intermediaryAccountId
                response.recruiterAccountId = request.recruiterAccountId
                response.setByAccountId = actor.accountID
                response.setAtMs = now
                return response
            }
        }
    }

    static func mayManage(_ person: DirectoryStore.Person, _ actor: VerifiedActor) -> Bool {
        if actor.isRegionalManager, let region = actor.regionID { return SettlementRoles.region(ofPath: person.nodePath) == region }
        return person.nodePath == actor.teamPath
    }

    static let keyRequired = DomainErrors.refused(.invalidArgument, "send an idempotency-key metadata header with this call",
                                                  reason: "IDEMPOTENCY_KEY_REQUIRED")

    static func message(_ rule: StoredRule) -> Xsc_Settlements_V1_RewardRule {
        var message = Xsc_Settlements_V1_RewardRule()
        message.regionId = rule.set.regionID
        message.version = rule.set.version
        message.effectiveFromMs = rule.set.effectiveFromMillis
        message.percentBasisPoints = rule.set.percentBasisPoints
        message.level2BasisPoints = rule.set.level2BasisPoints
        message.perUnit = rule.set.perUnitFen.sorted { $0.key < $1.key }.map { sku, fen in
            var rate = Xsc_Settlements_V1_PerUnitRate()
            rate.skuId = sku
            rate.fenPerUnit = fen
            return rate
        }
        message.createdByAccountId = rule.createdBy
        message.createdAtMs = rule.createdAtMillis
        return message
    }
}
