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
        routes.accept(Paths.acknowledgeBySms, calling: acknowledgeBySms)
        routes.accept(Paths.promptUndelivered, calling: promptUndelivered)
        routes.accept(Paths.placeCampaignOrder, calling: placeCampaignOrder)
        routes.accept(Paths.recordCampaignPickup, calling: recordCampaignPickup)
        routes.accept(Paths.setDirectoryEntry, calling: setDirectoryEntry)
        return routes
    }
}
