import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The campaigns service's calls (campaign_orders.proto): its SYSTEM actor only.
extension OrderServiceHandler {
    public func checkCampaignPrices(_ request: Xsc_Orders_V1_CheckCampaignPricesRequest,
                                    context: ServerContext) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        try await flow.checkCampaignPrices(request, actor: try context.requireActor())
    }

    public func placeCampaignOrder(_ request: Xsc_Orders_V1_PlaceCampaignOrderRequest,
                                   context: ServerContext) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        try await flow.placeCampaignOrder(request, actor: try context.requireActor())
    }

    public func recordCampaignPickup(_ request: Xsc_Orders_V1_RecordCampaignPickupRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        var response = Xsc_Orders_V1_OrderResponse()
        response.order = try await flow.recordCampaignPickup(request, actor: try context.requireActor())
        return response
    }
}
