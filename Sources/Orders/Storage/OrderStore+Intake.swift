import Postgres

/// The statements of the intake's resubmission path (OrderIntake.insert): the order row that
/// an external id already taken turns into nothing, its lines, and the earlier order.
extension OrderStore {
    /// What `insertOrder` writes besides the validated submission.
    struct NewOrderRow: Sendable {
        var id: String
        var fingerprint: [UInt8]
        var routing: Routing
        var totalFen: Int64
        var submittedBy: String
        var at: Int64
    }

    /// The new order's short code, or nil when (source, partner, external id) is taken.
    func insertOrder(_ valid: ValidSubmission, _ row: NewOrderRow, in tx: PostgresTransaction) async throws -> String? {
        let inserted = try await tx.query("""
            INSERT INTO orders (id, source, partner_id, external_id, request_sha256, referrer_code, customer_name, customer_phone,
                                customer_address, district_id, region_id, office_id, credited_team_path, state, total_fen, note,
                                submitted_by, created_at, updated_at, promotion_plan_id)
            VALUES ($1, $2, $3, $4, sha256($5), $6, $7, $8, $9, $10, $11, $12, $13, 'received', $14, $15, $16, $17, $17, $18)
            ON CONFLICT (source, partner_id, external_id) WHERE external_id <> '' DO NOTHING
            RETURNING code
            """, [.text(row.id), .text(valid.source.storedName), .text(valid.partnerID), .text(valid.externalID),
                  .bytea(row.fingerprint), .text(valid.referrerCode), .text(valid.customerName), .text(valid.customerPhone),
                  .text(valid.customerAddress), .text(valid.districtID), .text(row.routing.regionID), .text(row.routing.officeID),
                  .text(row.routing.creditedTeamPath), .int64(row.totalFen), .text(valid.note), .text(row.submittedBy),
                  .timestampMillis(row.at), .text(valid.promotionPlanID)])
        return try inserted.first?.decode(String.self, column: "code")
    }

    /// One INSERT per line, to send with the order's other statements.
    func lineStatements(orderID: String, _ lines: [OrderRecord.Line]) -> [PostgresStatement] {
        lines.map { line in
            PostgresStatement("""
                INSERT INTO order_lines (order_id, line_no, sku_id, quantity, unit_price_fen) VALUES ($1, $2, $3, $4, $5)
                """, [.text(orderID), .int(line.lineNo), .text(line.skuID), .int32(line.quantity), .int64(line.unitPriceFen)])
        }
    }

    /// The order holding (source, partner, external id), and whether it was made from a request
    /// with `fingerprint`; nil when none (it was rolled back concurrently).
    func orderHoldingExternalID(_ valid: ValidSubmission, fingerprint: [UInt8],
                                in tx: PostgresTransaction) async throws -> (id: String, sameRequest: Bool)? {
        let rows = try await tx.query("""
            SELECT o.id, o.request_sha256 = sha256($4) AS same_request FROM orders o
            WHERE o.source = $1 AND o.partner_id = $2 AND o.external_id = $3
            """, [.text(valid.source.storedName), .text(valid.partnerID), .text(valid.externalID), .bytea(fingerprint)])
        guard let row = rows.first else { return nil }
        return (try row.decode(String.self, column: "id"), try row.decode(Bool.self, column: "same_request"))
    }
}
