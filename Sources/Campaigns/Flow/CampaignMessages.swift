import DomainKit
import Messages
import Postgres
import ServiceAPI
import ServiceKitStore

/// What the campaigns service tells its peers through the outbox, in the transaction of the
/// change that causes it: orders places and closes orders, notifications texts participants.
/// Event ids are derived from the participation, so each effect is queued once per
/// participation whatever happens (a replayed release finds nothing left to do anyway).
struct CampaignMessages: Sendable {
    let outbox: Outbox

    func placeOrder(_ participation: ParticipationRow, campaign: CampaignRow, point: PointRow) -> PostgresStatement {
        var request = Xsc_Orders_V1_PlaceCampaignOrderRequest()
        request.campaignId = campaign.id
        request.participationId = participation.id
        request.customerName = participation.customerName
        request.customerPhone = participation.customerPhone
        // The goods go to the pickup point: that is the order's delivery address.
        request.customerAddress = "自提：\(point.name) \(point.address)"
        request.deliveryDistrictId = point.districtID
        request.leaderAccountId = campaign.leaderAccountID
        request.note = "团购 \(campaign.title)（\(campaign.shareCode)）"
        request.lines = participation.lines.map { line in
            var item = Xsc_Orders_V1_CampaignOrderLine()
            item.skuId = line.skuID
            item.quantity = line.quantity
            item.unitPriceFen = line.unitPriceFen
            return item
        }
        return outbox.enqueueStatement(destination: "orders", methodPath: Xsc_Orders_V1_OrderServiceClient.Paths.placeCampaignOrder,
                                       payload: request.serializedBytes(), eventID: "campaign-order-" + participation.id)
    }

    func pickup(_ participation: ParticipationRow, by account: String, at now: Int64) -> PostgresStatement {
        var request = Xsc_Orders_V1_RecordCampaignPickupRequest()
        request.participationId = participation.id
        request.verifiedBy = account
        request.collectedAtMs = now
        return outbox.enqueueStatement(destination: "orders", methodPath: Xsc_Orders_V1_OrderServiceClient.Paths.recordCampaignPickup,
                                       payload: request.serializedBytes(), eventID: "campaign-pickup-" + participation.id)
    }

    /// 成团: the participant's pickup code, point and hours.
    func succeeded(_ participation: ParticipationRow, campaign: CampaignRow, point: PointRow) -> PostgresStatement {
        sms("campaign_succeeded", to: participation, campaign: campaign,
            params: ["title": campaign.title, "code": participation.pickupCode, "point": "\(point.name)（\(point.address)）",
                     "hours": point.hours])
    }

    /// 未成团: cancelled, the payment will be refunded.
    func failed(_ participation: ParticipationRow, campaign: CampaignRow) -> PostgresStatement {
        sms("campaign_failed", to: participation, campaign: campaign,
            params: ["title": campaign.title, "amount": Fen.yuanText(participation.totalFen)])
    }

    private func sms(_ template: String, to participation: ParticipationRow, campaign: CampaignRow,
                     params: [String: String]) -> PostgresStatement {
        var request = Xsc_Notifications_V1_SendRequest()
        request.phone = participation.customerPhone
        request.template = template
        request.params = params
        request.category = .customer
        request.regionCode = OrgPath.region(of: campaign.teamPath) ?? ""
        let eventID = "campaign-sms-\(template)-" + participation.id
        request.idempotencyKey = eventID
        return outbox.enqueueStatement(destination: "notifications", methodPath: Xsc_Notifications_V1_NotificationServiceClient.Paths.send,
                                       payload: request.serializedBytes(), eventID: eventID)
    }
}
