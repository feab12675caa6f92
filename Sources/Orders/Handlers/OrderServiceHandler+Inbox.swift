import Messages
import ServiceAPI
import ServiceKit

extension OrderServiceHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): notifications' SMS
    /// acknowledgements and undelivered prompts, the campaigns' orders and pickups, the
    /// gateway's directory entries - each run as its unary call would be.
    var inboxRoutes: InboxRoutes {
        typealias Paths = Xsc_Orders_V1_OrderServiceClient.Paths
        var routes = InboxRoutes()
        routes.accept(Paths.acknowledgeBySms, as: Xsc_Orders_V1_AcknowledgeBySmsRequest.self) { request, _, context in
            _ = try await self.acknowledgeBySms(request, context: context)
        }
        routes.accept(Paths.promptUndelivered, as: Xsc_Orders_V1_PromptUndeliveredRequest.self) { request, _, context in
            _ = try await self.promptUndelivered(request, context: context)
        }
        routes.accept(Paths.placeCampaignOrder, as: Xsc_Orders_V1_PlaceCampaignOrderRequest.self) { request, _, context in
            _ = try await self.placeCampaignOrder(request, context: context)
        }
        routes.accept(Paths.recordCampaignPickup, as: Xsc_Orders_V1_RecordCampaignPickupRequest.self) { request, _, context in
            _ = try await self.recordCampaignPickup(request, context: context)
        }
        routes.accept(Paths.setDirectoryEntry, as: Xsc_Common_V1_DirectoryEntry.self) { request, _, context in
            _ = try await self.setDirectoryEntry(request, context: context)
        }
        return routes
    }
}
