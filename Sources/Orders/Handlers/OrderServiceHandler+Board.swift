import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The operations board (board.proto). Being built (issue 20): until the flow lands, both
/// methods answer UNIMPLEMENTED so no caller mistakes an empty board for a quiet region.
extension OrderServiceHandler {
    public func getBoard(_ request: Xsc_Orders_V1_BoardRequest, context: ServerContext) async throws -> Xsc_Orders_V1_BoardUpdate {
        throw RPCError(code: .unimplemented, message: "the operations board is not served yet")
    }

    public func watchBoard(_ request: Xsc_Orders_V1_BoardRequest, responses: ResponseStreamWriter<Xsc_Orders_V1_BoardUpdate>,
                           context: ServerContext) async throws {
        throw RPCError(code: .unimplemented, message: "the operations board is not served yet")
    }
}
