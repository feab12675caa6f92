import Messages
import ServiceAPI
import ServiceKit

extension CustomerServiceHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): the orders service's
    /// customer and referrer events and the gateway's directory entries, each run as its unary
    /// call would be (their own event ids and versions make a redelivery change nothing).
    var inboxRoutes: InboxRoutes {
        typealias Paths = Xsc_Customers_V1_CustomerServiceClient.Paths
        var routes = InboxRoutes()
        routes.accept(Paths.recordCustomerSeen, calling: recordCustomerSeen)
        routes.accept(Paths.recordReferrerSeen, calling: recordReferrerSeen)
        routes.accept(Paths.setDirectoryEntry, calling: setDirectoryEntry)
        return routes
    }
}
