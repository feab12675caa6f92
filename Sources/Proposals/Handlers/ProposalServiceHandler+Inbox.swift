import Messages
import ServiceAPI
import ServiceKit

extension ProposalServiceHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): the gateway's directory
    /// entries (versioned: a redelivery changes nothing), each run as its unary call would be.
    var inboxRoutes: InboxRoutes {
        var routes = InboxRoutes()
        routes.accept(Xsc_Proposals_V1_ProposalServiceClient.Paths.setDirectoryEntry, calling: setDirectoryEntry)
        return routes
    }
}
