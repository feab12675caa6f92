import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Reads, filtered by the visibility rules in SQL (a refused read is NOT_FOUND, and a list
/// simply never contains what the caller may not see).
extension OrderFlow {
    static let defaultPageSize = 20
    static let maxPageSize = 100

    public func get(orderID: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try await pool.transaction { tx in
            guard let (order, access) = try await store.load(orderID, viewer: OrderViewer(actor), in: tx) else {
                throw RPCError.orderNotFound(orderID)
            }
            return order.message(access: access)
        }
    }

    /// Newest first; the cursor is "<created ms>:<id>" of the last order of the previous page.
    public func list(_ request: Xsc_Orders_V1_ListOrdersRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_ListOrdersResponse {
        let page = request.page ?? Xsc_Common_V1_PageRequest()
        let size = Self.pageSize(page.pageSize)
        var after: (Int64, String)? = nil
        if !page.cursor.isEmpty {
            let parts = page.cursor.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let millis = Int64(parts[0]) else {
                throw FieldViolations.error("page.cursor", "not a cursor this service returned")
            }
            after = (millis, String(parts[1]))
        }
        let viewer = OrderViewer(actor)
        return try await pool.transaction { tx in
            let rows = try await store.visibleOrders(viewer: viewer, state: request.state.storedName, after: after,
                                                     limit: size + 1, in: tx)
            let records = rows.prefix(size).map { ($0.order, viewer.access(to: $0.order, isParticipant: $0.isParticipant)) }
            let lines = try await store.lines(of: records.map(\.0.id), in: tx)
            var response = Xsc_Orders_V1_ListOrdersResponse()
            response.orders = records.map { record, access in
                var order = record
                order.lines = lines[order.id] ?? []
                return order.message(access: access)
            }
            var info = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = records.last?.0 { info.nextCursor = "\(last.createdAtMillis):\(last.id)" }
            response.page = info
            return response
        }
    }

    /// The order's events, oldest first (referrers and partners see them too: they carry no
    /// personal data beyond account ids of staff).
    public func events(_ request: Xsc_Orders_V1_ListOrderEventsRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_ListOrderEventsResponse {
        let page = request.page ?? Xsc_Common_V1_PageRequest()
        let size = Self.pageSize(page.pageSize)
        let after = page.cursor.isEmpty ? 0 : Int64(page.cursor)
        guard let after else {
            throw FieldViolations.error("page.cursor", "not a cursor this service returned")
        }
        return try await pool.transaction { tx in
            guard let (_, access) = try await store.load(request.orderId, viewer: OrderViewer(actor), in: tx) else {
                throw RPCError.orderNotFound(request.orderId)
            }
            let rows = try await store.events(orderID: request.orderId, after: after, limit: size + 1, in: tx)
            var response = Xsc_Orders_V1_ListOrderEventsResponse()
            for row in rows.prefix(size) where access == .full || !OrderViewer.internalEventKinds.contains(row.kind) {
                var event = Xsc_Orders_V1_OrderEvent()
                event.sequence = row.sequence
                event.orderId = request.orderId
                event.kind = row.kind
                event.fromState = OrderState(storedName: row.fromState)
                event.toState = OrderState(storedName: row.toState)
                // A referrer or a partner learns the progress, not who works the order.
                event.actorAccountId = access == .full || row.actorAccountID == actor.accountID ? row.actorAccountID : ""
                event.atMs = row.atMillis
                event.detail = access == .full ? row.detail : ""
                response.events.append(event)
            }
            var info = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = rows.prefix(size).last { info.nextCursor = String(last.sequence) }
            response.page = info
            return response
        }
    }

    static func pageSize(_ requested: Int32) -> Int {
        requested <= 0 ? defaultPageSize : min(Int(requested), maxPageSize)
    }
}
