import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The campaigns service's calls (campaign_orders.proto): its SYSTEM actor only (the flow
/// refuses anyone else). Lookup fields are shape-checked first like everywhere: campaign and
/// participation ids are UUIDs (campaigns makes them), SKUs, districts and accounts keys.
extension OrderServiceHandler {
    public func checkCampaignPrices(_ request: Xsc_Orders_V1_CheckCampaignPricesRequest,
                                    context: ServerContext) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        let actor = try context.requireActor()
        var violations = FieldViolations()
        LookupField.checkIDs(request.skuIds, field: "sku_ids", shape: .key, maxCount: SubmissionLimits.maxLines, into: &violations)
        LookupField.checkIDs(request.districtIds, field: "district_ids", shape: .key, maxCount: SubmissionLimits.maxLines,
                             into: &violations)
        try violations.check()
        return try await flow.checkCampaignPrices(request, actor: actor)
    }

    public func placeCampaignOrder(_ request: Xsc_Orders_V1_PlaceCampaignOrderRequest,
                                   context: ServerContext) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        let actor = try context.requireActor()
        try LookupField.check([("campaign_id", request.campaignId, .id), ("participation_id", request.participationId, .id),
                               ("leader_account_id", request.leaderAccountId, .key),
                               ("delivery_district_id", request.deliveryDistrictId, .key)])
        return try await flow.placeCampaignOrder(request, actor: actor)
    }

    public func recordCampaignPickup(_ request: Xsc_Orders_V1_RecordCampaignPickupRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.check([("participation_id", request.participationId, .id), ("verified_by", request.verifiedBy, .key)])
        var response = Xsc_Orders_V1_OrderResponse()
        response.order = try await flow.recordCampaignPickup(request, actor: actor)
        return response
    }
}
