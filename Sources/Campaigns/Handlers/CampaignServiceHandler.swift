import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.campaigns.v1.CampaignService: identity from the verified actor only, then the flow.
public struct CampaignServiceHandler: Xsc_Campaigns_V1_CampaignServiceHandler {
    let flow: CampaignFlow

    public init(flow: CampaignFlow) {
        self.flow = flow
    }

    public func createCampaign(_ request: Xsc_Campaigns_V1_CreateCampaignRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_CampaignResponse {
        var response = Xsc_Campaigns_V1_CampaignResponse()
        response.campaign = try await flow.create(request, actor: try context.requireActor(),
                                                  idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
        return response
    }

    public func getCampaign(_ request: Xsc_Campaigns_V1_GetCampaignRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_CampaignResponse {
        var response = Xsc_Campaigns_V1_CampaignResponse()
        response.campaign = try await flow.get(request.campaignId, actor: try context.requireActor())
        return response
    }

    public func getCampaignByShareCode(_ request: Xsc_Campaigns_V1_GetCampaignByShareCodeRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_CampaignResponse {
        var response = Xsc_Campaigns_V1_CampaignResponse()
        response.campaign = try await flow.getByShareCode(request.shareCode, actor: try context.requireActor())
        return response
    }

    public func listCampaigns(_ request: Xsc_Campaigns_V1_ListCampaignsRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_ListCampaignsResponse {
        try await flow.list(request, actor: try context.requireActor())
    }

    public func joinCampaign(_ request: Xsc_Campaigns_V1_JoinCampaignRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_JoinCampaignResponse {
        var response = Xsc_Campaigns_V1_JoinCampaignResponse()
        response.participation = try await flow.join(request, actor: try context.requireActor(),
                                                     idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
        return response
    }

    public func listParticipations(_ request: Xsc_Campaigns_V1_ListParticipationsRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_ListParticipationsResponse {
        try await flow.participationsPage(request, actor: try context.requireActor())
    }

    public func purchaseList(_ request: Xsc_Campaigns_V1_ListRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_PurchaseListResponse {
        try await flow.purchaseList(campaignID: request.campaignId, actor: try context.requireActor())
    }

    public func pickingList(_ request: Xsc_Campaigns_V1_PickingListRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_PickingListResponse {
        try await flow.pickingList(request, actor: try context.requireActor())
    }

    public func verifyPickup(_ request: Xsc_Campaigns_V1_VerifyPickupRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_VerifyPickupResponse {
        var response = Xsc_Campaigns_V1_VerifyPickupResponse()
        response.participation = try await flow.verifyPickup(request, actor: try context.requireActor())
        return response
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        try await flow.setDirectoryEntry(request, actor: try context.requireActor())
    }
}
