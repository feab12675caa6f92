import Postgres

/// `campaigns`, `campaign_products` and `pickup_points`: creating a campaign and reading it.
struct CampaignStore: Sendable {
    /// Inserts the campaign; false when the share code is taken (the caller draws another; the
    /// statement does nothing then, so the transaction goes on).
    func insert(_ campaign: ValidCampaign, id: String, shareCode: String, teamPath: String, createdBy: String, at now: Int64,
                in tx: PostgresTransaction) async throws -> Bool {
        let inserted = try await tx.query("""
            INSERT INTO campaigns (id, share_code, title, team_path, leader_account_id, starts_at, deadline, min_quantity,
                                   created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (share_code) DO NOTHING RETURNING id
            """, [.text(id), .text(shareCode), .text(campaign.title), .text(teamPath), .text(campaign.leaderAccountID),
                  .timestampMillis(campaign.startsAtMillis), .timestampMillis(campaign.deadlineMillis), .int32(campaign.minQuantity),
                  .text(createdBy), .timestampMillis(now)])
        guard !inserted.isEmpty else { return false }
        var statements: [PostgresStatement] = []
        for (position, product) in campaign.products.enumerated() {
            statements.append(PostgresStatement("""
                INSERT INTO campaign_products (campaign_id, sku_id, position, name, price_fen, stock_cap, per_person_limit)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(id), .text(product.skuID), .int(position), .text(product.name), .int64(product.priceFen),
                      .int32(product.stockCap), .int32(product.perPersonLimit)]))
        }
        for (position, point) in campaign.points.enumerated() {
            statements.append(PostgresStatement("""
                INSERT INTO pickup_points (campaign_id, pickup_point_id, position, name, address, district_id, dealer_account_id,
                                           hours, contact_phone, verifier_account_ids)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text[])
                """, [.text(id), .text(point.id), .int(position), .text(point.name), .text(point.address), .text(point.districtID),
                      .text(point.dealerAccountID), .text(point.hours), .text(point.contactPhone), .textArray(point.verifierAccountIDs)]))
        }
        _ = try await tx.run(statements)
        return true
    }

    func campaign(id: String, in tx: PostgresTransaction, lock: String = "") async throws -> CampaignRow? {
        guard !id.isEmpty, id.count <= CampaignLimits.idLength else { return nil }
        return try await tx.query("SELECT \(CampaignRow.columns) FROM campaigns c WHERE c.id = $1 \(lock)", [.text(id)])
            .first.map(CampaignRow.init(row:))
    }

    func campaign(shareCode: String, in tx: PostgresTransaction) async throws -> CampaignRow? {
        guard !shareCode.isEmpty, shareCode.count <= CampaignLimits.idLength else { return nil }
        return try await tx.query("SELECT \(CampaignRow.columns) FROM campaigns c WHERE c.share_code = $1", [.text(shareCode)])
            .first.map(CampaignRow.init(row:))
    }

    func products(of id: String, in tx: PostgresTransaction) async throws -> [ProductRow] {
        try await tx.query("SELECT \(ProductRow.columns) FROM campaign_products p WHERE p.campaign_id = $1 ORDER BY p.position",
                           [.text(id)]).map(ProductRow.init(row:))
    }

    func points(of id: String, in tx: PostgresTransaction) async throws -> [PointRow] {
        try await tx.query("SELECT \(PointRow.columns) FROM pickup_points pp WHERE pp.campaign_id = $1 ORDER BY pp.position",
                           [.text(id)]).map(PointRow.init(row:))
    }

    func participantCount(of id: String, in tx: PostgresTransaction) async throws -> Int32 {
        try await tx.query("SELECT count(*)::int AS n FROM participations WHERE campaign_id = $1", [.text(id)])
            .first?.decode(Int32.self, column: "n") ?? 0
    }

    /// Campaigns the caller owns (its node) or leads, or serves at a pickup point, by id after
    /// `cursor`.
    func visible(teamPath: String, accountID: String, after cursor: String, limit: Int,
                 in tx: PostgresTransaction) async throws -> [CampaignRow] {
        try await tx.query("""
            SELECT \(CampaignRow.columns) FROM campaigns c
            WHERE c.id > $3 AND (c.team_path = $1 OR c.leader_account_id = $2 OR EXISTS (
                SELECT 1 FROM pickup_points pp WHERE pp.campaign_id = c.id
                AND (pp.dealer_account_id = $2 OR $2 = ANY(pp.verifier_account_ids))))
            ORDER BY c.id LIMIT $4
            """, [.text(teamPath), .text(accountID), .text(cursor), .int(limit)]).map(CampaignRow.init(row:))
    }
}
