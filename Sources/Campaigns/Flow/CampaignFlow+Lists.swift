import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The two lists of a succeeded campaign: what each dealer supplies (the aggregated purchase
/// list, per product and per dealer) and who collects what at each pickup point (the picking
/// list). Both are read from the participations, which no longer change once the campaign
/// has closed, so they are the same whenever asked.
extension CampaignFlow {
    public func purchaseList(campaignID: String, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_PurchaseListResponse {
        try await pool.transaction { tx in
            let (campaign, _, access) = try await visible(campaignID, actor: actor, in: tx)
            try Self.requireSucceeded(campaign)
            var lines = try await closes.purchaseLines(campaign: campaign.id, in: tx)
            // A dealer sees its own lines; the owning team all of them.
            if access != .owner { lines = lines.filter { $0.dealerAccountID == actor.accountID } }
            var response = Xsc_Campaigns_V1_PurchaseListResponse()
            response.campaignId = campaign.id
            var totals: [String: (quantity: Int32, amount: Int64)] = [:]
            for line in lines {
                var item = Xsc_Campaigns_V1_PurchaseLine()
                item.dealerAccountId = line.dealerAccountID
                item.skuId = line.skuID
                item.quantity = line.quantity
                item.amountFen = line.amountFen
                item.orders = line.orders
                response.lines.append(item)
                totals[line.skuID, default: (0, 0)].quantity += line.quantity
                totals[line.skuID, default: (0, 0)].amount += line.amountFen
            }
            response.products = totals.keys.sorted().map { sku in
                var total = Xsc_Campaigns_V1_ProductTotal()
                total.skuId = sku
                total.quantity = totals[sku]?.quantity ?? 0
                total.amountFen = totals[sku]?.amount ?? 0
                return total
            }
            return response
        }
    }

    public func pickingList(_ request: Xsc_Campaigns_V1_PickingListRequest, actor: VerifiedActor) async throws -> Xsc_Campaigns_V1_PickingListResponse {
        try await pool.transaction { tx in
            let (campaign, points, access) = try await visible(request.campaignId, actor: actor, in: tx)
            try Self.requireSucceeded(campaign)
            var allowed: [String]? = nil
            if case .pointStaff(let served) = access { allowed = served.sorted() }
            if !request.pickupPointId.isEmpty {
                guard points.contains(where: { $0.id == request.pickupPointId }),
                      allowed?.contains(request.pickupPointId) ?? true else {
                    throw DomainErrors.notFound("pickup point", id: request.pickupPointId)
                }
                allowed = [request.pickupPointId]
            }
            let rows = try await closes.pickingRows(campaign: campaign.id, points: allowed, in: tx)
            var response = Xsc_Campaigns_V1_PickingListResponse()
            response.campaignId = campaign.id
            response.entries = rows.map { row in
                var entry = Xsc_Campaigns_V1_PickingEntry()
                entry.pickupPointId = row.pickupPointID
                entry.participationId = row.participationID
                entry.customerName = row.customerName
                // The point's staff check the pickup code, so they need no full number.
                entry.customerPhone = access == .owner ? row.customerPhone : (MainlandPhone(row.customerPhone)?.masked ?? "")
                entry.skuId = row.skuID
                entry.quantity = row.quantity
                entry.orderExternalId = row.participationID
                return entry
            }
            return response
        }
    }

    static func requireSucceeded(_ campaign: CampaignRow) throws {
        guard campaign.state == "succeeded" else {
            throw DomainErrors.refused(.failedPrecondition,
                                       campaign.state == "open" ? "the lists exist once the campaign has succeeded at its deadline"
                                                                : "the campaign did not succeed: there is nothing to pick",
                                       reason: CampaignErrorReason.notSucceeded)
        }
    }
}
