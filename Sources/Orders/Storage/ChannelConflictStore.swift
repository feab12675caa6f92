import Postgres

/// `channel_conflicts`: the flags of the channel-conflict guard and their review.
struct ChannelConflictStore: Sendable {
    /// One flag with both orders' channels, as the review and its list read it.
    struct Row: Sendable {
        struct Channel: Sendable {
            var orderID: String
            var code: String
            var source: String
            var partnerID: String
            var state: String
            var createdAtMillis: Int64
            var creditedTeamPath: String
        }

        var id: String
        var kind: String
        var state: String
        var order: Channel
        var earlier: Channel
        var customerPhone: String
        var skuIDs: [String]
        var regionID: String
        var detectedAtMillis: Int64
        var conflictClass: Int
        var personAccountID: String
        var reviewedBy: String
        var reviewedAtMillis: Int64
        var detail: String
    }

    /// The flags a new order raises, in the intake's own transaction (one statement, so it
    /// travels in the intake's pipeline): every earlier order of the same customer with a
    /// common SKU through another channel (source, partner) created within the window of the
    /// order's region, or refunded within it. Cancelled orders never conflict (nothing was
    /// sold); promotion-expense orders are the region's own advance, not a sale. A
    /// resubmission (same order id) finds its flags there already and adds none.
    static func flagStatement(orderID: String, customerPhone: String, source: String, partnerID: String,
                              skuIDs: [String], regionID: String, at: Int64) -> PostgresStatement {
        // No WITH of its own, so the intake can fuse it into its one write (`StatementFusion`).
        PostgresStatement("""
            INSERT INTO channel_conflicts (id, order_id, earlier_order_id, kind, earlier_state, customer_phone, sku_ids,
                                           region_id, detected_at)
            SELECT gen_random_uuid()::text, $1, e.id,
                   CASE WHEN e.state = 'refunded' THEN 'refund_reorder' ELSE 'two_channels' END,
                   e.state, $2, array_agg(DISTINCT l.sku_id ORDER BY l.sku_id), $6, $7
            FROM orders e JOIN order_lines l ON l.order_id = e.id,
                 (SELECT $7::timestamptz - make_interval(hours => coalesce(
                      (SELECT nullif(channel_conflict_window_hours, 0) FROM region_settings WHERE region_id = $6),
                      \(ChannelConflictRules.defaultWindowHours))) AS at) since
            WHERE e.customer_phone = $2 AND e.id <> $1 AND (e.source, e.partner_id) <> ($3, $4)
              AND e.state <> 'cancelled' AND e.promotion_plan_id = '' AND l.sku_id = ANY($5::text[])
              AND (e.created_at >= since.at OR (e.state = 'refunded' AND e.updated_at >= since.at))
            GROUP BY e.id, e.state
            ON CONFLICT (order_id, earlier_order_id) DO NOTHING
            """, [.text(orderID), .text(customerPhone), .text(source), .text(partnerID), .textArray(skuIDs),
                  .text(regionID), .timestampMillis(at)])
    }

    private static let select = """
        SELECT c.id, c.kind, c.state, c.customer_phone, array_to_string(c.sku_ids, ',') AS sku_ids, c.region_id, c.detected_at, coalesce(c.class, 0) AS class,
               c.person_account_id, c.reviewed_by, c.reviewed_at, c.detail,
               o.id AS o_id, o.code AS o_code, o.source AS o_source, o.partner_id AS o_partner, o.state AS o_state,
               o.created_at AS o_created, o.credited_team_path AS o_team,
               e.id AS e_id, e.code AS e_code, e.source AS e_source, e.partner_id AS e_partner, c.earlier_state AS e_state,
               e.created_at AS e_created, e.credited_team_path AS e_team
        FROM channel_conflicts c JOIN orders o ON o.id = c.order_id JOIN orders e ON e.id = c.earlier_order_id
        """

    /// Newest first, after the cursor's (detected ms, id); `region` nil: every region.
    func page(region: String?, state: String, after: (Int64, String)?, limit: Int,
              in tx: PostgresTransaction) async throws -> [Row] {
        try await tx.query(Self.select + """
             WHERE ($1 = '' OR c.region_id = $1) AND c.state = $2
               AND ($3::timestamptz IS NULL OR (c.detected_at, c.id) < ($3, $4))
             ORDER BY c.detected_at DESC, c.id DESC LIMIT $5
            """, [.text(region ?? ""), .text(state), after.map { .timestampMillis($0.0) } ?? .null, .text(after?.1 ?? ""),
                  .int(limit)]).map(Self.row)
    }

    /// The flag, locked for its review; nil when there is none.
    func loadForReview(_ id: String, in tx: PostgresTransaction) async throws -> Row? {
        try await tx.query(Self.select + " WHERE c.id = $1 FOR UPDATE OF c", [.text(id)]).first.map(Self.row)
    }

    func saveReview(_ row: Row, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            UPDATE channel_conflicts SET state = $2, class = $3, person_account_id = $4, reviewed_by = $5, reviewed_at = $6,
                                         detail = $7
            WHERE id = $1
            """, [.text(row.id), .text(row.state), row.conflictClass == 0 ? .null : .int(row.conflictClass),
                  .text(row.personAccountID), .text(row.reviewedBy), .timestampMillis(row.reviewedAtMillis), .text(row.detail)])
    }

    private static func row(_ row: PostgresRow) throws -> Row {
        func channel(_ prefix: String) throws -> Row.Channel {
            Row.Channel(orderID: try row.decode(String.self, column: prefix + "_id"), code: try row.decode(String.self, column: prefix + "_code"),
                        source: try row.decode(String.self, column: prefix + "_source"),
                        partnerID: try row.decode(String.self, column: prefix + "_partner"),
                        state: try row.decode(String.self, column: prefix + "_state"),
                        createdAtMillis: try row.decode(Int64.self, column: prefix + "_created"),
                        creditedTeamPath: try row.decode(String.self, column: prefix + "_team"))
        }
        return Row(id: try row.decode(String.self, column: "id"), kind: try row.decode(String.self, column: "kind"),
                   state: try row.decode(String.self, column: "state"), order: try channel("o"), earlier: try channel("e"),
                   customerPhone: try row.decode(String.self, column: "customer_phone"),
                   skuIDs: try row.decode(String.self, column: "sku_ids").split(separator: ",").map(String.init),
                   regionID: try row.decode(String.self, column: "region_id"),
                   detectedAtMillis: try row.decode(Int64.self, column: "detected_at"),
                   conflictClass: try row.decode(Int.self, column: "class"),
                   personAccountID: try row.decode(String.self, column: "person_account_id"),
                   reviewedBy: try row.decode(String.self, column: "reviewed_by"),
                   reviewedAtMillis: try row.decode(Int64?.self, column: "reviewed_at") ?? 0,
                   detail: try row.decode(String.self, column: "detail"))
    }
}
