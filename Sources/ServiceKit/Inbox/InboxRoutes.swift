import ProtoCodec
import RPC

/// The unary methods a service's inbox takes (`InboxService`), each as the work its unary
/// handler does for one request. Only what peers' outboxes send belongs here: an item for any
/// other path is answered UNIMPLEMENTED, and the sending relay makes that one call itself.
public struct InboxRoutes: Sendable {
    /// One item: its packed request, its event id (the idempotency key the unary call carries in
    /// metadata) and the inbox call's context (its verified actor, deadline and peer).
    public typealias Item = @Sendable (_ payload: [UInt8], _ eventID: String, _ context: ServerContext) async throws -> Void

    private(set) var items: [String: Item] = [:]

    public init() {}

    /// Takes `methodPath` ("/package.Service/Method") with `item` as its handler.
    public mutating func accept(_ methodPath: String, _ item: @escaping Item) {
        items[methodPath] = item
    }

    /// Takes `methodPath`, decoding each item as `Request` the way the server decodes a call's
    /// request (a broken message is INTERNAL, a bad string field INVALID_ARGUMENT naming it).
    public mutating func accept<Request: ProtoMessage>(
        _ methodPath: String, as type: Request.Type,
        _ handler: @escaping @Sendable (_ request: Request, _ eventID: String, _ context: ServerContext) async throws -> Void
    ) {
        items[methodPath] = { payload, eventID, context in
            let request: Request
            do throws(ProtoDecodeError) {
                request = try Request(serializedBytes: payload)
            } catch {
                throw RPCError.undecodableRequest(error, messageName: Request.protoMessageName)
            }
            try await handler(request, eventID, context)
        }
    }

    /// Takes `methodPath` with the service's own unary handler for it (`self.recordOrderVisited`):
    /// the item runs exactly what the call runs, its answer dropped. For a handler that reads
    /// the call's `idempotency-key` metadata, give the item's event id instead (the other
    /// `accept`s).
    public mutating func accept<Request: ProtoMessage, Response: Sendable>(
        _ methodPath: String, calling handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        accept(methodPath, as: Request.self) { request, _, context in _ = try await handler(request, context) }
    }
}
