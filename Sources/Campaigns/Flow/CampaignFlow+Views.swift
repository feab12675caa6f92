import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Reading campaigns and participations, each trimmed to the caller's access.
extension CampaignFlow {
    public func get(_ id: String, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_Campaign {
        try await pool.transaction { tx in
            let (campaign, _, _) = try await visible(id, actor: actor, in: tx)
            return try await message(id: campaign.id, in: tx)
        }
    }

    /// The public view a participant needs (products, prices, deadline, pickup points, how
    /// many units are still missing): any account or partner that has the share code.
    public func getByShareCode(_ code: String, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_Campaign {
        let code = code.trimmedForPeople.uppercased()
        return try await pool.transaction { tx in
            guard let campaign = try await campaigns.campaign(shareCode: code, in: tx) else {
                throw DomainErrors.notFound("campaign", id: code)
            }
            var view = try await message(id: campaign.id, in: tx)
            view.teamPath = ""
            view.createdBy = ""
            // Who works the points is the organisation's business, not the participants'.
            for index in view.pickupPoints.indices {
                view.pickupPoints[index].verifierAccountIds = []
                view.pickupPoints[index].dealerAccountId = ""
            }
            return view
        }
    }

    public func list(_ request: Xsc_Campaigns_V1_ListCampaignsRequest, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_ListCampaignsResponse {
        let size = Self.pageSize((request.page ?? .init()).pageSize)
        let cursor = (request.page ?? .init()).cursor
        guard cursor.count <= CampaignLimits.idLength else { throw FieldViolations.error("page.cursor", "not a cursor of this list") }
        return try await pool.transaction { tx in
            let rows = try await campaigns.visible(teamPath: actor.role == .partner ? "" : actor.teamPath, accountID: actor.accountID,
                                                   after: cursor, limit: size + 1, in: tx)
            var response = Xsc_Campaigns_V1_ListCampaignsResponse()
            for row in rows.prefix(size) { response.campaigns.append(try await message(id: row.id, in: tx)) }
            var page = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = rows.prefix(size).last { page.nextCursor = last.id }
            response.page = page
            return response
        }
    }

    /// The owning team and the leader: every participation (with `uncollected_days`, only the
    /// orders still waiting at their pickup point that many days after the close).
    public func participationsPage(_ request: Xsc_Campaigns_V1_ListParticipationsRequest,
                                   actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_ListParticipationsResponse {
        let size = Self.pageSize((request.page ?? .init()).pageSize)
        var problems = FieldViolations()
        if (request.page ?? .init()).cursor.count > CampaignLimits.idLength { problems.add("page.cursor", "not a cursor of this list") }
        if request.uncollectedDays < 0 || request.uncollectedDays > 365 { problems.add("uncollected_days", "0 to 365") }
        try problems.check()
        let before = request.uncollectedDays > 0 ? clock() - Int64(request.uncollectedDays) * 86_400_000 : 0
        return try await pool.transaction { tx in
            let (campaign, _, access) = try await visible(request.campaignId, actor: actor, in: tx)
            guard access == .owner else { throw DomainErrors.notFound("campaign", id: request.campaignId) }
            let rows = try await participations.page(campaign: campaign.id, after: (request.page ?? .init()).cursor, limit: size + 1,
                                                     uncollectedBefore: before, in: tx)
            var response = Xsc_Campaigns_V1_ListParticipationsResponse()
            response.participations = rows.prefix(size).map { $0.message(full: true) }
            var page = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = rows.prefix(size).last { page.nextCursor = last.id }
            response.page = page
            return response
        }
    }

    /// The campaign as stored, with its products, points and live counters.
    func message(id: String, in tx: PostgresTransaction) async throws -> Xsc_Campaigns_V1_Campaign {
        guard let row = try await campaigns.campaign(id: id, in: tx) else { throw DomainErrors.notFound("campaign", id: id) }
        let products = try await campaigns.products(of: id, in: tx)
        let points = try await campaigns.points(of: id, in: tx)
        var campaign = Xsc_Campaigns_V1_Campaign()
        campaign.id = row.id
        campaign.shareCode = row.shareCode
        campaign.title = row.title
        campaign.teamPath = row.teamPath
        campaign.leaderAccountId = row.leaderAccountID
        campaign.startsAtMs = row.startsAtMillis
        campaign.deadlineMs = row.deadlineMillis
        campaign.minQuantity = row.minQuantity
        campaign.state = CampaignStateName.message(row.state)
        campaign.createdBy = row.createdBy
        campaign.createdAtMs = row.createdAtMillis
        campaign.closedAtMs = row.closedAtMillis
        campaign.products = products.map { product in
            var message = Xsc_Campaigns_V1_CampaignProduct()
            message.skuId = product.skuID
            message.name = product.name
            message.campaignPriceFen = product.priceFen
            message.stockCap = product.stockCap
            message.perPersonLimit = product.perPersonLimit
            message.reserved = product.reserved
            return message
        }
        campaign.joinedQuantity = products.reduce(0) { $0 + $1.reserved }
        campaign.participants = try await campaigns.participantCount(of: id, in: tx)
        campaign.pickupPoints = points.map(\.message)
        return campaign
    }
}

enum CampaignStateName {
    static func message(_ stored: String) -> Xsc_Campaigns_V1_CampaignState {
        switch stored {
        case "open": .open
        case "succeeded": .succeeded
        case "failed": .failed
        default: .unspecified
        }
    }
}

extension PointRow {
    var message: Xsc_Campaigns_V1_PickupPoint {
        var point = Xsc_Campaigns_V1_PickupPoint()
        point.pickupPointId = id
        point.name = name
        point.address = address
        point.districtId = districtID
        point.dealerAccountId = dealerAccountID
        point.hours = hours
        point.contactPhone = contactPhone
        point.verifierAccountIds = verifierAccountIDs
        return point
    }
}

extension ParticipationRow {
    /// `full`: the owning team, the leader and the submitter see the phone and pickup code;
    /// everyone else a masked phone and no code.
    func message(full: Bool) -> Xsc_Campaigns_V1_Participation {
        var message = Xsc_Campaigns_V1_Participation()
        message.id = id
        message.campaignId = campaignID
        message.customerName = customerName
        message.customerPhone = full ? customerPhone : (MainlandPhone(customerPhone)?.masked ?? "")
        message.pickupPointId = pickupPointID
        message.lines = lines.map { line in
            var item = Xsc_Campaigns_V1_ParticipationLine()
            item.skuId = line.skuID
            item.quantity = line.quantity
            item.unitPriceFen = line.unitPriceFen
            return item
        }
        message.totalFen = totalFen
        message.state = switch state {
        case "joined": .joined
        case "ordered": .ordered
        case "collected": .collected
        case "cancelled": .cancelled
        default: .unspecified
        }
        if full { message.pickupCode = pickupCode }
        if state != "joined" && state != "cancelled" { message.orderExternalId = id }
        message.joinedAtMs = joinedAtMillis
        message.collectedAtMs = collectedAtMillis
        message.collectedBy = collectedBy
        message.refundDue = refundDue
        message.submittedBy = submittedBy
        return message
    }
}
