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
            let rows = try await tx.query("""
                SELECT \(OrderRecord.columns),
                       EXISTS (SELECT 1 FROM order_participants p WHERE p.order_id = o.id AND p.account_id = $1)
                FROM orders o
                WHERE \(OrderViewer.sqlCondition)
                  AND ($5 = '' OR o.state = $5)
                  AND ($6::timestamptz IS NULL OR (o.created_at, o.id) < ($6, $7))
                ORDER BY o.created_at DESC, o.id DESC
                LIMIT $8
                """, viewer.sqlParameters + [.text(request.state.storedName), after.map { .timestampMillis($0.0) } ?? .null,
                                              .text(after?.1 ?? ""), .int(size + 1)])
            var records: [(OrderRecord, OrderAccess)] = []
            for row in rows.prefix(size) {
                let order = try OrderRecord(row: row)
                records.append((order, viewer.access(to: order, isParticipant: try row.decode(Bool.self, at: OrderRecord.columnCount))))
            }
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
            let rows = try await tx.query("""
                SELECT sequence, kind, from_state, to_state, actor_account_id, at, detail FROM order_events
                WHERE order_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3
                """, [.text(request.orderId), .int64(after), .int(size + 1)])
            var response = Xsc_Orders_V1_ListOrderEventsResponse()
            for row in rows.prefix(size) {
                var event = Xsc_Orders_V1_OrderEvent()
                event.sequence = try row.decode(Int64.self, at: 0)
                event.orderId = request.orderId
                event.kind = try row.decode(String.self, at: 1)
                event.fromState = OrderState(storedName: try row.decode(String.self, at: 2))
                event.toState = OrderState(storedName: try row.decode(String.self, at: 3))
                // A referrer learns the progress, not who works the order.
                event.actorAccountId = access == .full ? try row.decode(String.self, at: 4) : ""
                event.atMs = try row.decode(Int64.self, at: 5)
                event.detail = access == .full ? try row.decode(String.self, at: 6) : ""
                response.events.append(event)
            }
            var info = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = response.events.last { info.nextCursor = String(last.sequence) }
            response.page = info
            return response
        }
    }

    static func pageSize(_ requested: Int32) -> Int {
        requested <= 0 ? defaultPageSize : min(Int(requested), maxPageSize)
    }
}
