import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Joining: one transaction reserves the stock (a conditional UPDATE per product, so 200
/// concurrent joins for the last 10 units leave exactly 10 standing), counts the per-person
/// limit, and records the participation with its pickup code. No order exists in the order
/// area yet: the participation is held here until the deadline (CampaignFlow+Deadline), so no
/// routing, SLA timer or SMS starts for a campaign that may still fail.
extension CampaignFlow {
    public func join(_ request: Xsc_Campaigns_V1_JoinCampaignRequest, actor: VerifiedActor,
                     idempotencyKey: String?) async throws -> Xsc_Campaigns_V1_Participation {
        guard actor.role != .system else {
            throw DomainErrors.refused(.permissionDenied, "the system account does not join campaigns", reason: CampaignErrorReason.notAllowed)
        }
        let valid = try JoinValidation.validate(request)
        let work: (PostgresTransaction) async throws -> Xsc_Campaigns_V1_JoinCampaignResponse = { tx in
            var response = Xsc_Campaigns_V1_JoinCampaignResponse()
            response.participation = try await joinOnce(valid, actor: actor, in: tx)
            return response
        }
        return try await pool.transaction { (tx: PostgresTransaction) -> Xsc_Campaigns_V1_JoinCampaignResponse in
            guard let idempotencyKey else { return try await work(tx) }
            return try await idempotency.run(in: tx, scope: "campaigns.JoinCampaign/" + actor.accountID, key: idempotencyKey,
                                             request: request) { try await work(tx) }
        }.participation ?? Xsc_Campaigns_V1_Participation()
    }

    private func joinOnce(_ valid: ValidJoin, actor: VerifiedActor, in tx: PostgresTransaction) async throws -> Xsc_Campaigns_V1_Participation {
        var id = valid.campaignID
        if id.isEmpty {
            guard let found = try await campaigns.campaign(shareCode: valid.shareCode, in: tx) else {
                throw DomainErrors.notFound("campaign", id: valid.shareCode)
            }
            id = found.id
        }
        // FOR SHARE: the deadline's close (FOR UPDATE) waits for this join, and a join that
        // comes after the close sees it closed.
        guard let campaign = try await joins.openCampaign(id: id, in: tx) else { throw DomainErrors.notFound("campaign", id: id) }
        let points = try await campaigns.points(of: campaign.id, in: tx)
        let access = CampaignAccess.of(actor, campaign: campaign, points: points)
        guard CampaignAccess.mayJoin(actor, access: access) else { throw DomainErrors.notFound("campaign", id: id) }
        let now = clock()
        guard campaign.state == "open", now < campaign.deadlineMillis else {
            throw DomainErrors.refused(.failedPrecondition, "the campaign \(campaign.title) has closed", reason: CampaignErrorReason.closed)
        }
        guard now >= campaign.startsAtMillis else {
            throw DomainErrors.refused(.failedPrecondition, "the campaign \(campaign.title) opens later", reason: CampaignErrorReason.notStarted)
        }

        let products = Dictionary(uniqueKeysWithValues: try await campaigns.products(of: campaign.id, in: tx).map { ($0.skuID, $0) })
        var problems = FieldViolations()
        if !points.contains(where: { $0.id == valid.pickupPointID }) {
            problems.add("pickup_point_id", "the campaign has no pickup point \(valid.pickupPointID)")
        }
        var lines: [ParticipationRow.Line] = []
        for (index, line) in valid.lines.enumerated() {
            guard let product = products[line.skuID] else {
                problems.add("lines[\(index)].sku_id", "the campaign does not sell \(line.skuID)")
                continue
            }
            if product.perPersonLimit > 0 && line.quantity > product.perPersonLimit {
                problems.add("lines[\(index)].quantity", "at most \(product.perPersonLimit) per person")
            }
            lines.append(.init(skuID: line.skuID, quantity: line.quantity, unitPriceFen: product.priceFen))
        }
        try problems.check()

        // Product rows in SKU order (valid.lines is sorted): concurrent joins never deadlock.
        for line in lines {
            guard try await joins.reserve(campaign: campaign.id, sku: line.skuID, quantity: line.quantity, in: tx) else {
                throw DomainErrors.refused(.failedPrecondition, "\(products[line.skuID]?.name ?? line.skuID) is sold out in this campaign",
                                           reason: CampaignErrorReason.soldOut)
            }
            let limit = products[line.skuID]?.perPersonLimit ?? 0
            guard try await joins.countPerson(campaign: campaign.id, phone: valid.customerPhone, sku: line.skuID,
                                              quantity: line.quantity, limit: limit, in: tx) else {
                throw DomainErrors.refused(.failedPrecondition, "this participant may buy at most \(limit) of \(line.skuID) in this campaign",
                                           reason: CampaignErrorReason.perPersonLimit)
            }
        }

        let new = JoinStore.NewParticipation(id: newID(), campaignID: campaign.id, join: valid,
                                             totalFen: lines.reduce(0) { $0 + Int64($1.quantity) * $1.unitPriceFen },
                                             submittedBy: actor.accountID, at: now)
        var random = SystemRandomNumberGenerator()
        for _ in 0..<8 {
            let code = Codes.pickupCode(using: &random)
            if try await joins.insert(new, pickupCode: code, in: tx) {
                _ = try await tx.run(joins.lineStatements(participation: new.id, lines))
                guard let row = try await participations.participation(id: new.id, in: tx) else {
                    throw RPCError(code: .internalError, message: "the participation vanished")
                }
                return row.message(full: true)
            }
        }
        throw RPCError(code: .aborted, message: "no free pickup code was drawn; try again")
    }
}
