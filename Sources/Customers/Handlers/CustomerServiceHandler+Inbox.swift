import Messages
import ServiceAPI
import ServiceKit

extension CustomerServiceHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): the orders service's
    /// customer and referrer events and the gateway's directory entries, each run as its unary
    /// call would be (their own event ids and versions make a redelivery change nothing).
    var inboxRoutes: InboxRoutes {
        var routes = InboxRoutes()
        routes.accept(Xsc_Customers_V1_CustomerServiceClient.Paths.recordCustomerSeen, as: Xsc_Orders_V1_CustomerSeen.self) {
            request, _, context in
            _ = try await self.recordCustomerSeen(request, context: context)
        }
        routes.accept(Xsc_Customers_V1_CustomerServiceClient.Paths.recordReferrerSeen, as: Xsc_Orders_V1_ReferrerSeen.self) {
            request, _, context in
            _ = try await self.recordReferrerSeen(request, context: context)
        }
        routes.accept(Xsc_Customers_V1_CustomerServiceClient.Paths.setDirectoryEntry, as: Xsc_Common_V1_DirectoryEntry.self) {
            request, _, context in
            _ = try await self.setDirectoryEntry(request, context: context)
        }
        return routes
    }
}
