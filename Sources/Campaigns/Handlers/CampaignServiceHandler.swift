import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.campaigns.v1.CampaignService: identity from the verified actor only, then every lookup
/// field's shape (LookupField: campaign ids are UUIDs, pickup point ids keys, share and pickup
/// codes short codes, cursors cursors), then the flow. Codes people type are trimmed first, as
/// the flow trims them.
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
        let actor = try context.requireActor()
        try LookupField.requireID(request.campaignId, "campaign_id")
        response.campaign = try await flow.get(request.campaignId, actor: actor)
        return response
    }

    public func getCampaignByShareCode(_ request: Xsc_Campaigns_V1_GetCampaignByShareCodeRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_CampaignResponse {
        var response = Xsc_Campaigns_V1_CampaignResponse()
        let actor = try context.requireActor()
        if let problem = LookupField.problem(request.shareCode.trimmedForPeople, CampaignLookup.shareCode) {
            throw FieldViolations.error("share_code", problem)
        }
        response.campaign = try await flow.getByShareCode(request.shareCode, actor: actor)
        return response
    }

    public func listCampaigns(_ request: Xsc_Campaigns_V1_ListCampaignsRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_ListCampaignsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.list(request, actor: actor)
    }

    public func joinCampaign(_ request: Xsc_Campaigns_V1_JoinCampaignRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_JoinCampaignResponse {
        var response = Xsc_Campaigns_V1_JoinCampaignResponse()
        let actor = try context.requireActor()
        try LookupField.check([("campaign_id", request.campaignId.trimmedForPeople, .id),
                               ("share_code", request.shareCode.trimmedForPeople, CampaignLookup.shareCode),
                               ("pickup_point_id", request.pickupPointId.trimmedForPeople, CampaignLookup.pointID)])
        response.participation = try await flow.join(request, actor: actor,
                                                     idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
        return response
    }

    public func listParticipations(_ request: Xsc_Campaigns_V1_ListParticipationsRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_ListParticipationsResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.campaignId, "campaign_id")
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.participationsPage(request, actor: actor)
    }

    public func purchaseList(_ request: Xsc_Campaigns_V1_ListRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_PurchaseListResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.campaignId, "campaign_id")
        return try await flow.purchaseList(campaignID: request.campaignId, actor: actor)
    }

    public func pickingList(_ request: Xsc_Campaigns_V1_PickingListRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_PickingListResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.campaignId, "campaign_id")
        try LookupField.check([("pickup_point_id", request.pickupPointId, CampaignLookup.pointID)])
        return try await flow.pickingList(request, actor: actor)
    }

    public func verifyPickup(_ request: Xsc_Campaigns_V1_VerifyPickupRequest, context: ServerContext) async throws -> Xsc_Campaigns_V1_VerifyPickupResponse {
        var response = Xsc_Campaigns_V1_VerifyPickupResponse()
        let actor = try context.requireActor()
        try LookupField.requireID(request.campaignId, "campaign_id")
        try LookupField.check([("pickup_point_id", request.pickupPointId, CampaignLookup.pointID),
                               ("pickup_code", request.pickupCode.trimmedForPeople, CampaignLookup.pickupCode)])
        response.participation = try await flow.verifyPickup(request, actor: actor)
        return response
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        let actor = try context.requireActor()
        try LookupField.check([("account_id", request.accountId, .key)])
        return try await flow.setDirectoryEntry(request, actor: actor)
    }
}
