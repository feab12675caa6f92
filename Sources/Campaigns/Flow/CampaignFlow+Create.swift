import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Opening a campaign: the fields, the leader and verifiers (the directory), prices and
/// districts (orders), then the campaign, its products and points and its deadline timer in
/// one transaction.
extension CampaignFlow {
    static let deadlineTimer = "campaign-deadline"
    static let releaseTimer = "campaign-release"

    public func create(_ request: Xsc_Campaigns_V1_CreateCampaignRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Campaigns_V1_Campaign {
        guard CampaignAccess.mayCreate(actor), !actor.teamPath.isEmpty, actor.role != .partner else {
            throw DomainErrors.refused(.permissionDenied, "a team's admin, an office's order lead or a manager opens campaigns",
                                       reason: CampaignErrorReason.notAllowed)
        }
        let valid = try CampaignValidation.validate(request, now: clock())
        try await checkPeople(valid, teamPath: actor.teamPath)
        try await checkCatalog(valid)

        let work: (PostgresTransaction) async throws -> Xsc_Campaigns_V1_CampaignResponse = { tx in
            let id = newID()
            var random = SystemRandomNumberGenerator()
            for _ in 0..<8 {
                let code = Codes.shareCode(using: &random)
                if try await campaigns.insert(valid, id: id, shareCode: code, teamPath: actor.teamPath, createdBy: actor.accountID,
                                              at: clock(), in: tx) {
                    try await timers.schedule(in: tx, kind: Self.deadlineTimer, subjectID: id, dueAtMillis: valid.deadlineMillis)
                    var response = Xsc_Campaigns_V1_CampaignResponse()
                    response.campaign = try await message(id: id, in: tx)
                    return response
                }
            }
            throw RPCError(code: .aborted, message: "no free share code was drawn; try again")
        }
        return try await pool.transaction { (tx: PostgresTransaction) -> Xsc_Campaigns_V1_CampaignResponse in
            guard let idempotencyKey else { return try await work(tx) }
            return try await idempotency.run(in: tx, scope: "campaigns.CreateCampaign/" + actor.accountID, key: idempotencyKey,
                                             request: request) { try await work(tx) }
        }.campaign ?? Xsc_Campaigns_V1_Campaign()
    }

    /// The leader must be an enabled intermediary of the creator's subtree; verification
    /// officers enabled accounts the directory knows.
    private func checkPeople(_ valid: ValidCampaign, teamPath: String) async throws {
        let ids = [valid.leaderAccountID] + valid.points.flatMap(\.verifierAccountIDs)
        let known = Dictionary(uniqueKeysWithValues: try await directory.accounts(ids: Array(Set(ids))).map { ($0.id, $0) })
        var problems = FieldViolations()
        if let leader = known[valid.leaderAccountID], leader.enabled {
            if leader.role != .intermediary {
                problems.add("campaign.leader_account_id", "\(leader.id) is not an intermediary (团长 must be one)")
            } else if !OrgPath.isWithin(leader.nodePath, subtree: teamPath) {
                problems.add("campaign.leader_account_id", "\(leader.id) is not on your team")
            }
        } else {
            problems.add("campaign.leader_account_id", "no enabled account \(valid.leaderAccountID)")
        }
        for (index, point) in valid.points.enumerated() {
            for verifier in point.verifierAccountIDs where known[verifier]?.enabled != true {
                problems.add("campaign.pickup_points[\(index)].verifier_account_ids", "no enabled account \(verifier)")
            }
        }
        try problems.check()
    }

    /// Every product a known, active SKU at or below HQ's guided maximum; every point in a
    /// district orders routes, served by one of that district's dealers.
    private func checkCatalog(_ valid: ValidCampaign) async throws {
        let answer = try await catalog.check(skus: valid.products.map(\.skuID), districts: Array(Set(valid.points.map(\.districtID))).sorted())
        let skus = Dictionary(answer.skus.map { ($0.skuId, $0) }, uniquingKeysWith: { first, _ in first })
        let districts = Dictionary(answer.districts.map { ($0.districtId, $0) }, uniquingKeysWith: { first, _ in first })
        var problems = FieldViolations()
        for (index, product) in valid.products.enumerated() {
            let field = "campaign.products[\(index)]"
            guard let sku = skus[product.skuID], sku.known else {
                problems.add(field + ".sku_id", "unknown SKU \(product.skuID)")
                continue
            }
            if !sku.active { problems.add(field + ".sku_id", "SKU \(product.skuID) is no longer sold") }
            if sku.guidedMaxFen <= 0 {
                problems.add(field + ".sku_id", "SKU \(product.skuID) has no guided price yet: HQ sets it first")
            } else if product.priceFen > sku.guidedMaxFen {
                problems.add(field + ".campaign_price_fen", "never above HQ's guided maximum: \(sku.guidedMaxFen) fen")
            }
        }
        for (index, point) in valid.points.enumerated() {
            let field = "campaign.pickup_points[\(index)]"
            guard let district = districts[point.districtID], district.known else {
                problems.add(field + ".district_id", "unknown district \(point.districtID)")
                continue
            }
            if !district.dealerAccountIds.contains(point.dealerAccountID) {
                problems.add(field + ".dealer_account_id", "\(point.dealerAccountID) is not a dealer of district \(point.districtID)")
            }
        }
        try problems.check()
    }
}
