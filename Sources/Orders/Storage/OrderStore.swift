import Postgres

/// Reads and writes of `orders`, `order_lines`, `order_participants` and `order_events`.
/// Every statement is parameterised; callers pass the transaction the business change runs in.
struct OrderStore: Sendable {
    /// An order with the caller's access to it; nil when it does not exist or the caller may
    /// not see it (the two are never told apart).
    func load(_ id: String, viewer: OrderViewer, in tx: PostgresTransaction, forUpdate: Bool = false) async throws -> (OrderRecord, OrderAccess)? {
        guard !id.isEmpty, id.count <= 64 else { return nil }
        let rows = try await tx.query("""
            SELECT \(OrderRecord.columns),
                   EXISTS (SELECT 1 FROM order_participants p WHERE p.order_id = o.id AND p.account_id = $2) AS is_participant
            FROM orders o WHERE o.id = $1 \(forUpdate ? "FOR UPDATE" : "")
            """, [.text(id), .text(viewer.accountID)])
        guard let row = rows.first else { return nil }
        var order = try OrderRecord(row: row)
        let access = viewer.access(to: order, isParticipant: try row.decode(Bool.self, column: "is_participant"))
        guard access != .none else { return nil }
        order.lines = try await lines(of: [order.id], in: tx)[order.id] ?? []
        return (order, access)
    }

    /// The order a short code names (SMS replies), locked; no visibility check (the caller
    /// checks that the replying account is the one the prompt went to).
    func lockByCode(_ code: String, in tx: PostgresTransaction) async throws -> OrderRecord? {
        let rows = try await tx.query("SELECT o.id FROM orders o WHERE o.code = $1", [.text(code.uppercased())])
        guard let id = try rows.first?.decode(String.self, at: 0) else { return nil }
        return try await lockForSystem(id, in: tx)
    }

    /// The newest order waiting for `account`'s acknowledgement: a new order of a district
    /// where it is an office lead, or an order forwarded to it as district lead. Locked.
    func lockLatestAwaitingAcknowledgement(by account: String, in tx: PostgresTransaction) async throws -> OrderRecord? {
        let rows = try await tx.query("""
            SELECT o.id FROM orders o
            WHERE (o.state = 'received' AND EXISTS (
                      SELECT 1 FROM district_routing_members m
                      WHERE m.district_id = o.district_id AND m.member_role = 'office_lead' AND m.account_id = $1))
               OR (o.state = 'assigned' AND o.assignee_kind = 'district_lead' AND o.assignee_account_id = $1)
            ORDER BY o.updated_at DESC, o.id DESC LIMIT 1
            """, [.text(account)])
        guard let id = try rows.first?.decode(String.self, at: 0) else { return nil }
        return try await lockForSystem(id, in: tx)
    }

    /// An order by id, locked, for the service's own work (timers); no visibility check.
    func lockForSystem(_ id: String, in tx: PostgresTransaction) async throws -> OrderRecord? {
        let rows = try await tx.query("SELECT \(OrderRecord.columns) FROM orders o WHERE o.id = $1 FOR UPDATE", [.text(id)])
        guard var order = try rows.first.map(OrderRecord.init(row:)) else { return nil }
        order.lines = try await lines(of: [id], in: tx)[id] ?? []
        return order
    }

    /// Orders by id with their lines, no visibility check (callers filtered already).
    func records(_ ids: [String], in tx: PostgresTransaction) async throws -> [String: OrderRecord] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("SELECT \(OrderRecord.columns) FROM orders o WHERE o.id = ANY($1::text[])",
                                      [.textArray((ids))])
        let lines = try await lines(of: ids, in: tx)
        var result: [String: OrderRecord] = [:]
        for row in rows {
            var order = try OrderRecord(row: row)
            order.lines = lines[order.id] ?? []
            result[order.id] = order
        }
        return result
    }

    func lines(of orderIDs: [String], in tx: PostgresTransaction) async throws -> [String: [OrderRecord.Line]] {
        guard !orderIDs.isEmpty else { return [:] }
        let rows = try await tx.query("""
            SELECT order_id, line_no, sku_id, quantity, unit_price_fen, actual_quantity
            FROM order_lines WHERE order_id = ANY($1::text[]) ORDER BY order_id, line_no
            """, [.textArray((orderIDs))])
        var result: [String: [OrderRecord.Line]] = [:]
        for row in rows {
            let line = OrderRecord.Line(lineNo: try row.decode(Int.self, at: 1), skuID: try row.decode(String.self, at: 2),
                                        quantity: try row.decode(Int32.self, at: 3), unitPriceFen: try row.decode(Int64.self, at: 4),
                                        actualQuantity: try row.decode(Int32.self, at: 5))
            result[try row.decode(String.self, at: 0), default: []].append(line)
        }
        return result
    }

    /// Records a transition: the new row values and its event, in one round trip.
    func recordTransition(_ order: OrderRecord, from: OrderState, kind: String, actor: EventActor, at: Int64,
                          detail: String = "", in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("""
                UPDATE orders SET state = $2, assignee_account_id = $3, assignee_kind = $4, acknowledged_by = $5,
                       actual_total_fen = $6, evaluation_score = $7, evaluation_text = $8, updated_at = $9,
                       visited_at = $10, reimbursement_quarter = $11
                WHERE id = $1
                """, [.text(order.id), .text(order.state.storedName), .text(order.assigneeAccountID), .text(order.assigneeKind),
                      .text(order.acknowledgedBy), .int64(order.actualTotalFen), .int32(order.evaluationScore),
                      .text(order.evaluationText), .timestampMillis(at),
                      order.visitedAtMillis > 0 ? .timestampMillis(order.visitedAtMillis) : .null, .text(order.reimbursementQuarter)]),
            eventStatement(orderID: order.id, kind: kind, from: from, to: order.state, actor: actor, at: at, detail: detail),
        ])
    }

    /// A new order's short code, taken before the INSERT so the answer, the SMS prompts and
    /// the stored idempotent answer can carry it in the INSERT's own round trip.
    /// A fresh order code (migration 0007's short form of the next sequence number).
    static let nextCodeExpression = "order_short_code(nextval('order_code_seq'))"

    /// `count` fresh order codes at once (`OrderCodeBlocks`).
    static func codeBlockStatement(count: Int) -> PostgresStatement {
        PostgresStatement("SELECT " + nextCodeExpression + " FROM generate_series(1, $1)", [.int(count)])
    }

    /// The rows of a new order as parts of one statement (`StatementFusion`): the order (a
    /// plain INSERT, so an external id taken meanwhile fails the statement and everything fused
    /// with it; `isExternalIDTaken` recognises that) as `new_order`, its lines and its first
    /// event (the same row `eventStatement` writes), both reading the order's id from it.
    /// With `catalogVersion`, the order is only written while the catalog is still at that
    /// version (`CatalogStore.isStaleVersion` otherwise, and nothing is written).
    func insertParts(_ order: OrderRecord, requestFingerprint: [UInt8], note: String, actor: EventActor,
                     catalogVersion: Int64, into fusion: inout StatementFusion) {
        fusion.append(PostgresStatement("""
            INSERT INTO orders (id, code, source, partner_id, external_id, request_sha256, referrer_code, customer_name,
                                customer_phone, customer_address, district_id, region_id, office_id, credited_team_path,
                                state, total_fen, note, submitted_by, created_at, updated_at, promotion_plan_id)
            SELECT $1, $2, $3, $4, $5, sha256($6), $7, $8, $9, $10, $11, $12, $13, $14, 'received', $15, $16, $17, $18, $18, $19
            WHERE orders_catalog_is($20)
            RETURNING id
            """, [.text(order.id), .text(order.code), .text(order.source.storedName), .text(order.partnerID),
                  .text(order.externalID), .bytea(requestFingerprint), .text(order.referrerCode), .text(order.customerName),
                  .text(order.customerPhone), .text(order.customerAddress), .text(order.districtID), .text(order.regionID),
                  .text(order.officeID), .text(order.creditedTeamPath), .int64(order.totalFen), .text(note),
                  .text(order.submittedBy), .timestampMillis(order.createdAtMillis), .text(order.promotionPlanID),
                  .int64(catalogVersion)]),
                      as: "new_order")
        fusion.append(PostgresStatement("""
            INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen)
            SELECT new_order.id, line.no, line.sku, line.quantity, line.price
            FROM new_order, unnest($1::int[], $2::text[], $3::int[], $4::bigint[]) AS line (no, sku, quantity, price)
            """, [.integerArray((order.lines.map(\.lineNo))), .textArray((order.lines.map(\.skuID))),
                  .integerArray((order.lines.map(\.quantity))), .integerArray((order.lines.map(\.unitPriceFen)))]))
        fusion.append(PostgresStatement("""
            INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
            SELECT new_order.id, 'submitted', $1, $2, $3, $4, $5, $6 FROM new_order
            """, [.text(OrderState.unspecified.storedName), .text(OrderState.received.storedName), .text(actor.accountID),
                  .text(actor.role), .timestampMillis(order.createdAtMillis), .text(order.source.storedName)]))
    }

    /// The failure of an order INSERT whose (source, partner, external_id) another order has.
    static func isExternalIDTaken(_ error: Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUniqueViolation && error.constraint == "orders_partner_external"
    }

    func eventStatement(orderID: String, kind: String, from: OrderState, to: OrderState, actor: EventActor, at: Int64,
                        detail: String) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO order_events (order_id, kind, from_state, to_state, actor_account_id, actor_role, at, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.text(orderID), .text(kind), .text(from.storedName), .text(to.storedName), .text(actor.accountID),
                  .text(actor.role), .timestampMillis(at), .text(detail)])
    }

    func addParticipant(orderID: String, accountID: String, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO order_participants (order_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
            """, [.text(orderID), .text(accountID)])
    }
}

/// Who caused an event: an account and its role, or the system (timers).
struct EventActor: Sendable {
    var accountID: String
    var role: String

    static let system = EventActor(accountID: "system", role: "system")
}
