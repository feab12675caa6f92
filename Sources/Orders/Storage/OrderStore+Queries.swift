import Postgres

/// The reads behind ListOrders and ListOrderEvents, and the return visit's actual quantities.
extension OrderStore {
    /// A page of the orders `viewer` may see, newest first, after the (created ms, id) cursor;
    /// `limit` rows at most. Each with whether the viewer takes part in it.
    func visibleOrders(viewer: OrderViewer, state: String, after: (Int64, String)?, limit: Int,
                       in tx: PostgresTransaction) async throws -> [(order: OrderRecord, isParticipant: Bool)] {
        let rows = try await tx.query("""
            SELECT \(OrderRecord.columns),
                   EXISTS (SELECT 1 FROM order_participants p WHERE p.order_id = o.id AND p.account_id = $1) AS is_participant
            FROM orders o
            WHERE \(OrderViewer.sqlCondition)
              AND ($5 = '' OR o.state = $5)
              AND ($6::timestamptz IS NULL OR (o.created_at, o.id) < ($6, $7))
            ORDER BY o.created_at DESC, o.id DESC
            LIMIT $8
            """, viewer.sqlParameters + [.text(state), after.map { .timestampMillis($0.0) } ?? .null,
                                          .text(after?.1 ?? ""), .int(limit)])
        return try rows.map { row in (try OrderRecord(row: row), try row.decode(Bool.self, column: "is_participant")) }
    }

    /// One recorded transition of an order.
    struct EventRow: Sendable {
        var sequence: Int64
        var kind: String
        var fromState: String
        var toState: String
        var actorAccountID: String
        var atMillis: Int64
        var detail: String
    }

    /// The order's events after `sequence`, oldest first, `limit` at most.
    func events(orderID: String, after sequence: Int64, limit: Int, in tx: PostgresTransaction) async throws -> [EventRow] {
        let rows = try await tx.query("""
            SELECT sequence, kind, from_state, to_state, actor_account_id, at, detail FROM order_events
            WHERE order_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3
            """, [.text(orderID), .int64(sequence), .int(limit)])
        return try rows.map { row in
            EventRow(sequence: try row.decode(Int64.self, column: "sequence"), kind: try row.decode(String.self, column: "kind"),
                     fromState: try row.decode(String.self, column: "from_state"), toState: try row.decode(String.self, column: "to_state"),
                     actorAccountID: try row.decode(String.self, column: "actor_account_id"),
                     atMillis: try row.decode(Int64.self, column: "at"), detail: try row.decode(String.self, column: "detail"))
        }
    }

    /// The return visit's actual quantity of each line.
    func recordActualQuantities(_ order: OrderRecord, in tx: PostgresTransaction) async throws {
        for line in order.lines {
            try await tx.execute("UPDATE order_lines SET actual_quantity = $3 WHERE order_id = $1 AND line_no = $2",
                                 [.text(order.id), .int(line.lineNo), .int32(line.actualQuantity)])
        }
    }
}
