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
        routes.accept(Paths.recordOrderVisited, as: Xsc_Orders_V1_OrderVisited.self) { request, _, context in
            _ = try await self.recordOrderVisited(request, context: context)
        }
        routes.accept(Paths.recordOrderRefunded, as: Xsc_Orders_V1_OrderRefunded.self) { request, _, context in
            _ = try await self.recordOrderRefunded(request, context: context)
        }
        routes.accept(Paths.recordViolation, as: Xsc_Orders_V1_SlaViolation.self) { request, _, context in
            _ = try await self.recordViolation(request, context: context)
        }
        routes.accept(Paths.recordViolationWithdrawn, as: Xsc_Orders_V1_SlaViolationWithdrawn.self) { request, _, context in
            _ = try await self.recordViolationWithdrawn(request, context: context)
        }
        routes.accept(Paths.recordProposalViolation, as: Xsc_Proposals_V1_ProposalViolation.self) { request, _, context in
            _ = try await self.recordProposalViolation(request, context: context)
        }
        routes.accept(Paths.setDirectoryEntry, as: Xsc_Common_V1_DirectoryEntry.self) { request, _, context in
            _ = try await self.setDirectoryEntry(request, context: context)
        }
        routes.accept(Paths.recordChannelConflict, as: Xsc_Settlements_V1_RecordChannelConflictRequest.self) {
            request, eventID, context in
            _ = try await self.flow.recordChannelConflict(request, actor: try context.requireActor(), idempotencyKey: eventID)
        }
        return routes
    }
}
