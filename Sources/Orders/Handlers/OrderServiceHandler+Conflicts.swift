import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The channel-conflict guard's two methods (conflicts.proto). Lookup fields are shape-checked
/// (LookupField) before the flow reads anything: a flag id is a UUID, a region and a person
/// are directory keys, a page position is a cursor.
extension OrderServiceHandler {
    public func listChannelConflicts(_ request: Xsc_Orders_V1_ListChannelConflictsRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_ListChannelConflictsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId.trimmedForPeople, .key),
                               ("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listChannelConflicts(request, actor: actor)
    }

    public func classChannelConflict(_ request: Xsc_Orders_V1_ClassChannelConflictRequest,
                                     context: ServerContext) async throws -> Xsc_Orders_V1_ChannelConflict {
        let actor = try context.requireActor()
        try LookupField.requireID(request.conflictId, "conflict_id")
        try LookupField.check([("person_account_id", request.personAccountId, .key)])
        return try await flow.classChannelConflict(request, actor: actor)
    }
}
