import Messages
import ServiceAPI
import ServiceKit

extension SettlementServiceHandler {
    /// What peers' outboxes may deliver in a batch (`InboxService`): the orders and proposals
    /// services' events and the gateway's directory entries, each run as its unary call would
    /// be (event ids and versions make a redelivery change nothing; a channel conflict takes
    /// the item's event id as its idempotency key, as the call takes its metadata's).
    var inboxRoutes: InboxRoutes {
        typealias Paths = Xsc_Settlements_V1_SettlementServiceClient.Paths
        var routes = InboxRoutes()
        routes.accept(Paths.recordOrderVisited, calling: recordOrderVisited)
        routes.accept(Paths.recordOrderRefunded, calling: recordOrderRefunded)
        routes.accept(Paths.recordViolation, calling: recordViolation)
        routes.accept(Paths.recordViolationWithdrawn, calling: recordViolationWithdrawn)
        routes.accept(Paths.recordProposalViolation, calling: recordProposalViolation)
        routes.accept(Paths.setDirectoryEntry, calling: setDirectoryEntry)
        routes.accept(Paths.recordChannelConflict, as: Xsc_Settlements_V1_RecordChannelConflictRequest.self) {
            request, eventID, context in
            _ = try await self.flow.recordChannelConflict(request, actor: try context.requireActor(), idempotencyKey: eventID)
        }
        return routes
    }
}
