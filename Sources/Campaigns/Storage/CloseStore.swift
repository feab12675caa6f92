import Postgres

/// The deadline's decision and the two lists of a succeeded campaign.
struct CloseStore: Sendable {
    /// Units joined over all products (what 成团 is measured on).
    func joinedUnits(campaign: String, in tx: PostgresTransaction) async throws -> Int64 {
        try await tx.query("SELECT coalesce(sum(reserved), 0)::bigint AS n FROM campaign_products WHERE campaign_id = $1",
                           [.text(campaign)]).first?.decode(Int64.self, column: "n") ?? 0
    }

    func close(campaign: String, state: String, at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE campaigns SET state = $2, closed_at = $3 WHERE id = $1",
                                 [.text(campaign), .text(state), .timestampMillis(now)])
    }

    struct PurchaseLine: Sendable, Equatable {
        var dealerAccountID: String
        var skuID: String
        var quantity: Int32
        var amountFen: Int64
        var orders: Int32
    }

    /// Per dealer and SKU over every participation not cancelled, by dealer then SKU.
    func purchaseLines(campaign: String, in tx: PostgresTransaction) async throws -> [PurchaseLine] {
        try await tx.query("""
            SELECT pp.dealer_account_id, l.sku_id, sum(l.quantity)::int AS quantity,
                   sum(l.quantity::bigint * l.unit_price_fen)::bigint AS amount, count(*)::int AS orders
            FROM participations p
            JOIN participation_lines l ON l.participation_id = p.id
            JOIN pickup_points pp ON pp.campaign_id = p.campaign_id AND pp.pickup_point_id = p.pickup_point_id
            WHERE p.campaign_id = $1 AND p.state <> 'cancelled'
            GROUP BY pp.dealer_account_id, l.sku_id ORDER BY pp.dealer_account_id, l.sku_id
            """, [.text(campaign)]).map { row in
            PurchaseLine(dealerAccountID: try row.decode(String.self, column: "dealer_account_id"),
                         skuID: try row.decode(String.self, column: "sku_id"), quantity: try row.decode(Int32.self, column: "quantity"),
                         amountFen: try row.decode(Int64.self, column: "amount"), orders: try row.decode(Int32.self, column: "orders"))
        }
    }

    struct PickingRow: Sendable, Equatable {
        var pickupPointID: String
        var participationID: String
        var customerName: String
        var customerPhone: String
        var skuID: String
        var quantity: Int32
    }

    /// Who collects what, for the given points (all when `points` is nil).
    func pickingRows(campaign: String, points: [String]?, in tx: PostgresTransaction) async throws -> [PickingRow] {
        try await tx.query("""
            SELECT p.pickup_point_id, p.id, p.customer_name, p.customer_phone, l.sku_id, l.quantity
            FROM participations p JOIN participation_lines l ON l.participation_id = p.id
            WHERE p.campaign_id = $1 AND p.state <> 'cancelled' AND ($2 OR p.pickup_point_id = ANY($3::text[]))
            ORDER BY p.pickup_point_id, p.customer_name, p.id, l.sku_id
            """, [.text(campaign), .bool(points == nil), .textArray(points ?? [])]).map { row in
            PickingRow(pickupPointID: try row.decode(String.self, column: "pickup_point_id"),
                       participationID: try row.decode(String.self, column: "id"),
                       customerName: try row.decode(String.self, column: "customer_name"),
                       customerPhone: try row.decode(String.self, column: "customer_phone"),
                       skuID: try row.decode(String.self, column: "sku_id"), quantity: try row.decode(Int32.self, column: "quantity"))
        }
    }
}
