import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The operations board (board.proto): the caller's board now, and the same followed live. The
/// region is a directory key, shape-checked before anything is read; the caller's own region or
/// (HQ) any is the flow's rule (`BoardAudience.region`).
extension OrderServiceHandler {
    public func getBoard(_ request: Xsc_Orders_V1_BoardRequest, context: ServerContext) async throws -> Xsc_Orders_V1_BoardUpdate {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId.trimmedForPeople, .key)])
        return try await board.board(request, actor: actor)
    }

    /// Ends with UNAVAILABLE when the server shuts down (the page watches again, on another
    /// replica or the restarted one) and quietly when the caller goes away.
    public func watchBoard(_ request: Xsc_Orders_V1_BoardRequest, responses: ResponseStreamWriter<Xsc_Orders_V1_BoardUpdate>,
                           context: ServerContext) async throws {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId.trimmedForPeople, .key)])
        do {
            try await board.watch(request, actor: actor, checkStop: {
                try context.checkServerShutdown(resume: "watch again: the first message is a fresh snapshot")
            }) { try await responses.send($0) }
        } catch is CancellationError {
            // The caller went away: the stream simply ends.
        }
    }
}
