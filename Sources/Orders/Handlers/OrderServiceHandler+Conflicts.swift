import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The channel-conflict guard's two methods (conflicts.proto).
extension OrderServiceHandler {
    public func listChannelConflicts(_ request: Xsc_Orders_V1_ListChannelConflictsRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_ListChannelConflictsResponse {
        try await flow.listChannelConflicts(request, actor: try context.requireActor())
    }

    public func classChannelConflict(_ request: Xsc_Orders_V1_ClassChannelConflictRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_ChannelConflict {
        try await flow.classChannelConflict(request, actor: try context.requireActor())
    }
}
