import Postgres

/// The statements of a join (CampaignFlow+Join), all in its one transaction. The guards are
/// conditional writes, so concurrent joins serialise on the rows they change and each sees
/// what the others committed: no oversell, no per-person limit passed twice.
struct JoinStore: Sendable {
    /// Locks the campaign against its close (a shared lock: joins do not wait for each other
    /// here, the deadline's close waits for joins in flight) and answers it if still open.
    func openCampaign(id: String, in tx: PostgresTransaction) async throws -> CampaignRow? {
        try await tx.query("SELECT \(CampaignRow.columns) FROM campaigns c WHERE c.id = $1 FOR SHARE", [.text(id)])
            .first.map(CampaignRow.init(row:))
    }

    /// Takes `quantity` units of the product's stock; false when that would pass the cap.
    func reserve(campaign: String, sku: String, quantity: Int32, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            UPDATE campaign_products SET reserved = reserved + $3
            WHERE campaign_id = $1 AND sku_id = $2 AND (stock_cap = 0 OR reserved + $3 <= stock_cap)
            """, [.text(campaign), .text(sku), .int32(quantity)]) == 1
    }

    /// Adds to the participant's units of the product; false when that would pass `limit`.
    func countPerson(campaign: String, phone: String, sku: String, quantity: Int32, limit: Int32,
                     in tx: PostgresTransaction) async throws -> Bool {
        guard limit > 0 else { return true }
        guard quantity <= limit else { return false }
        return try await !tx.query("""
            INSERT INTO person_quantities AS q (campaign_id, customer_phone, sku_id, quantity) VALUES ($1, $2, $3, $4)
            ON CONFLICT (campaign_id, customer_phone, sku_id) DO UPDATE SET quantity = q.quantity + EXCLUDED.quantity
            WHERE q.quantity + EXCLUDED.quantity <= $5
            RETURNING q.quantity
            """, [.text(campaign), .text(phone), .text(sku), .int32(quantity), .int32(limit)]).isEmpty
    }

    struct NewParticipation: Sendable {
        var id: String
        var campaignID: String
        var join: ValidJoin
        var totalFen: Int64
        var submittedBy: String
        var at: Int64
    }

    /// Inserts the participation with `pickupCode`; false when the code is taken in this
    /// campaign (nothing written, the caller draws another).
    func insert(_ new: NewParticipation, pickupCode: String, in tx: PostgresTransaction) async throws -> Bool {
        try await !tx.query("""
            INSERT INTO participations (id, campaign_id, customer_name, customer_phone, pickup_point_id, total_fen, pickup_code,
                                        submitted_by, joined_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (campaign_id, pickup_code) DO NOTHING RETURNING id
            """, [.text(new.id), .text(new.campaignID), .text(new.join.customerName), .text(new.join.customerPhone),
                  .text(new.join.pickupPointID), .int64(new.totalFen), .text(pickupCode), .text(new.submittedBy),
                  .timestampMillis(new.at)]).isEmpty
    }

    func lineStatements(participation: String, _ lines: [ParticipationRow.Line]) -> [PostgresStatement] {
        lines.map { line in
            PostgresStatement("""
                INSERT INTO participation_lines (participation_id, sku_id, quantity, unit_price_fen) VALUES ($1, $2, $3, $4)
                """, [.text(participation), .text(line.skuID), .int32(line.quantity), .int64(line.unitPriceFen)])
        }
    }
}
