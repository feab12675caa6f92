import Postgres

/// The statements of the campaign hooks (OrdersFlow+CampaignHold): a campaign's order is found
/// by the participation id it carries as external id, and SKUs and districts are checked in
/// bulk when a campaign is created.
extension OrderStore {
    /// The id of the order placed for `participationID`, or nil when none was placed yet.
    func campaignOrderID(participationID: String, partnerID: String, in tx: PostgresTransaction) async throws -> String? {
        try await tx.query("""
            SELECT id FROM orders WHERE source = 'groupbuy_platform' AND partner_id = $1 AND external_id = $2
            """, [.text(partnerID), .text(participationID)]).first?.decode(String.self, column: "id")
    }
}

extension CatalogStore {
    /// Every SKU of `skus` that exists, with its active flag and guided maximum (nil: not set).
    func guidedPrices(skus: [String], in tx: PostgresTransaction) async throws -> [String: (active: Bool, guidedFen: Int64?)] {
        var result: [String: (active: Bool, guidedFen: Int64?)] = [:]
        for row in try await tx.query("""
            SELECT s.sku_id, s.active, g.max_price_fen FROM skus s LEFT JOIN guided_prices g ON g.sku_id = s.sku_id
            WHERE s.sku_id = ANY($1::text[])
            """, [.textArray(skus)]) {
            result[try row.decode(String.self, column: "sku_id")] = (try row.decode(Bool.self, column: "active"),
                                                                    try row.decode(Int64?.self, column: "max_price_fen"))
        }
        return result
    }
}
