import Postgres

/// A district's routing as the flow uses it.
struct Routing: Sendable, Equatable {
    var districtID: String
    var regionID: String
    var officeID: String
    var creditedTeamPath: String
    var officeLeads: [String]
    var districtLeads: [String]
    var dealers: [String]
    var escalation: [String]
    var slaSeconds: Int
    /// The region's settings (`region_settings`): the dealer's acceptance window (0: none) and
    /// the return visit's deadline after delivery.
    var dealerAcceptSeconds: Int = 0
    var returnVisitSeconds: Int = Routing.defaultReturnVisitSeconds

    static let defaultSLASeconds = 300
    static let defaultReturnVisitSeconds = 172_800
}

/// SKUs, price lists and district routing.
struct CatalogStore: Sendable {
    func upsertSKU(id: String, name: String, unit: String, active: Bool, at: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO skus (sku_id, name, unit, active, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (sku_id) DO UPDATE SET name = $2, unit = $3, active = $4, updated_at = $5
            """, [.text(id), .text(name), .text(unit), .bool(active), .timestampMillis(at)])
    }

    func skuExists(_ id: String, in tx: PostgresTransaction) async throws -> Bool {
        try await !tx.query("SELECT 1 FROM skus WHERE sku_id = $1", [.text(id)]).isEmpty
    }

    func setRegionPrice(region: String, sku: String, fen: Int64, at: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO region_prices (region_id, sku_id, price_fen, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (region_id, sku_id) DO UPDATE SET price_fen = $3, updated_at = $4
            """, [.text(region), .text(sku), .int64(fen), .timestampMillis(at)])
    }

    /// HQ's guided maximum of `sku`, if set.
    func guidedPrice(sku: String, in tx: PostgresTransaction) async throws -> Int64? {
        try await tx.query("SELECT max_price_fen FROM guided_prices WHERE sku_id = $1 FOR SHARE", [.text(sku)])
            .first.map { try $0.decode(Int64.self, at: 0) }
    }

    /// The regions whose list price of `sku` is above `fen` (a new guided maximum must not be
    /// below a region's list).
    func regionsPricedAbove(sku: String, fen: Int64, in tx: PostgresTransaction) async throws -> [String] {
        try await tx.query("SELECT region_id FROM region_prices WHERE sku_id = $1 AND price_fen > $2 ORDER BY region_id",
                           [.text(sku), .int64(fen)]).map { try $0.decode(String.self, at: 0) }
    }

    func setGuidedPrice(sku: String, fen: Int64, at: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO guided_prices (sku_id, max_price_fen, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (sku_id) DO UPDATE SET max_price_fen = $2, updated_at = $3
            """, [.text(sku), .int64(fen), .timestampMillis(at)])
    }

    /// For each requested SKU that exists: whether it is active and its price under `rule`
    /// (nil when that price is not set).
    func prices(skus: [String], region: String, rule: PriceRule, in tx: PostgresTransaction) async throws -> [String: (active: Bool, priceFen: Int64?)] {
        let rows = try await tx.query("""
            SELECT s.sku_id, s.active, CASE WHEN $3 THEN g.max_price_fen ELSE r.price_fen END
            FROM skus s
            LEFT JOIN guided_prices g ON g.sku_id = s.sku_id
            LEFT JOIN region_prices r ON r.sku_id = s.sku_id AND r.region_id = $2
            WHERE s.sku_id = ANY($1::text[])
            """, [.textArray(skus), .text(region), .bool(rule == .guidedMaximum)])
        return try prices(from: rows)
    }

    /// What the intake reads for a new order, in ONE statement (one bind and executor start on
    /// the server instead of four): the district's routing (as `routingStatements`), its
    /// members the directory does not know as disabled, the requested SKUs' prices, a fresh
    /// order code (`OrderStore.nextCodeExpression`) and the catalog version (migration 0014)
    /// that the intake's cache keeps the rest under. The SKUs are one parameter each
    /// (`IN ($3, $4, ...)`, one prepared statement per count): with a single array parameter the
    /// server found a plan made for the array's values cheaper than its cached generic plan and
    /// planned the join again on every call. One row per fact, told apart by `part` (read by
    /// `intakeReads(from:)`), all columns of one shape so they can travel as one UNION.
    func intakeReadStatement(district: String, skus: [String], rule: PriceRule) -> PostgresStatement {
        let placeholders = skus.indices.map { "$\($0 + 3)" }.joined(separator: ", ")
        return PostgresStatement("""
            SELECT 0 AS part, r.region_id AS a, r.office_id AS b, r.credited_team_path AS c, r.sla_seconds::bigint AS n1,
                   COALESCE(s.dealer_accept_seconds, 0)::bigint AS n2,
                   COALESCE(s.return_visit_seconds, \(Routing.defaultReturnVisitSeconds))::bigint AS n3, NULL::boolean AS flag
            FROM district_routing r LEFT JOIN region_settings s ON s.region_id = r.region_id WHERE r.district_id = $1
            UNION ALL
            SELECT 1, m.member_role, m.account_id, NULL, m.position, NULL, NULL, NULL
            FROM district_routing_members m LEFT JOIN xsc_directory d ON d.account_id = m.account_id
            WHERE m.district_id = $1 AND COALESCE(d.enabled, true)
            UNION ALL
            SELECT 2, s.sku_id, NULL, NULL, CASE WHEN $2 THEN g.max_price_fen ELSE p.price_fen END, NULL, NULL, s.active
            FROM skus s
            LEFT JOIN guided_prices g ON g.sku_id = s.sku_id
            LEFT JOIN region_prices p ON p.sku_id = s.sku_id
                AND p.region_id = (SELECT d.region_id FROM district_routing d WHERE d.district_id = $1)
            WHERE s.sku_id IN (\(placeholders))
            UNION ALL
            SELECT 3, \(OrderStore.nextCodeExpression), NULL, NULL, NULL, NULL, NULL, NULL
            UNION ALL
            SELECT 4, NULL, NULL, NULL, version, NULL, NULL, NULL FROM orders_catalog_version
            ORDER BY 1, 2, 5
            """, [.text(district), .bool(rule == .guidedMaximum)] + skus.map { .text($0) })
    }

    /// What `intakeReadStatement` read: the routing (nil for an unknown district), the prices
    /// as `prices(from:)` gives them, the new order's code and the catalog version all of it
    /// belongs to (one statement, one snapshot).
    func intakeReads(district: String, from rows: PostgresRows) throws
        -> (routing: Routing?, prices: [String: (active: Bool, priceFen: Int64?)], code: String?, version: Int64?) {
        var routing: Routing?
        var prices: [String: (active: Bool, priceFen: Int64?)] = [:]
        var code: String?
        var version: Int64?
        var members: [(role: String, account: String)] = []
        for row in rows {
            switch try row.decode(Int.self, at: 0) {
            case 0:
                routing = Routing(districtID: district, regionID: try row.decode(String.self, at: 1),
                                  officeID: try row.decode(String.self, at: 2), creditedTeamPath: try row.decode(String.self, at: 3),
                                  officeLeads: [], districtLeads: [], dealers: [], escalation: [],
                                  slaSeconds: try row.decode(Int.self, at: 4), dealerAcceptSeconds: try row.decode(Int.self, at: 5),
                                  returnVisitSeconds: try row.decode(Int.self, at: 6))
            case 1: members.append((try row.decode(String.self, at: 1), try row.decode(String.self, at: 2)))
            case 2: prices[try row.decode(String.self, at: 1)] = (try row.decode(Bool.self, at: 7), try row.decode(Int64?.self, at: 4))
            case 3: code = try row.decode(String.self, at: 1)
            default: version = try row.decode(Int64.self, at: 4)
            }
        }
        if routing != nil {
            for (role, account) in members { routing!.add(member: account, as: role) }
        }
        return (routing, prices, code, version)
    }

    /// What `orders_catalog_is` (migration 0014) raises when the catalog changed since the
    /// version a write was prepared with: nothing was written.
    static let staleVersionState = "XSC01"

    static func isStaleVersion(_ error: Error) -> Bool {
        (error as? PostgresError)?.sqlState == staleVersionState
    }

    func prices(from rows: PostgresRows) throws -> [String: (active: Bool, priceFen: Int64?)] {
        var result: [String: (active: Bool, priceFen: Int64?)] = [:]
        for row in rows {
            result[try row.decode(String.self, at: 0)] = (try row.decode(Bool.self, at: 1), try row.decode(Int64?.self, at: 2))
        }
        return result
    }

    func setRouting(_ routing: Routing, at: Int64, in tx: PostgresTransaction) async throws {
        var statements = [
            PostgresStatement("""
                INSERT INTO district_routing (district_id, region_id, office_id, credited_team_path, sla_seconds, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (district_id) DO UPDATE SET region_id = $2, office_id = $3, credited_team_path = $4,
                    sla_seconds = $5, updated_at = $6
                """, [.text(routing.districtID), .text(routing.regionID), .text(routing.officeID),
                      .text(routing.creditedTeamPath), .int(routing.slaSeconds), .timestampMillis(at)]),
            PostgresStatement("DELETE FROM district_routing_members WHERE district_id = $1", [.text(routing.districtID)]),
        ]
        let groups = [("office_lead", routing.officeLeads), ("district_lead", routing.districtLeads),
                      ("dealer", routing.dealers), ("escalation", routing.escalation)]
        for (role, accounts) in groups {
            for (position, account) in accounts.enumerated() {
                statements.append(PostgresStatement("""
                    INSERT INTO district_routing_members (district_id, member_role, position, account_id) VALUES ($1, $2, $3, $4)
                    """, [.text(routing.districtID), .text(role), .int(position), .text(account)]))
            }
        }
        _ = try await tx.run(statements)
    }

    func routing(district: String, in tx: PostgresTransaction) async throws -> Routing? {
        try routing(district: district, from: try await tx.run(routingStatements(district: district)))
    }

    /// The two reads of `routing`, for a caller that pipelines them with other statements.
    func routingStatements(district: String) -> [PostgresStatement] {
        [
            PostgresStatement("""
                SELECT r.region_id, r.office_id, r.credited_team_path, r.sla_seconds,
                       COALESCE(s.dealer_accept_seconds, 0) AS dealer_accept_seconds,
                       COALESCE(s.return_visit_seconds, \(Routing.defaultReturnVisitSeconds)) AS return_visit_seconds
                FROM district_routing r LEFT JOIN region_settings s ON s.region_id = r.region_id WHERE r.district_id = $1
                """, [.text(district)]),
            // A member the directory knows as disabled is left out: a lead disabled after the
            // routing was set is no longer prompted, asked or escalated to (`OrderDirectory`
            // tells the region). One the directory does not know yet stays.
            PostgresStatement("""
                SELECT m.member_role, m.account_id FROM district_routing_members m
                LEFT JOIN xsc_directory d ON d.account_id = m.account_id
                WHERE m.district_id = $1 AND COALESCE(d.enabled, true) ORDER BY m.member_role, m.position
                """, [.text(district)]),
        ]
    }

    /// The routing the first two of `results` (of `routingStatements`) describe.
    func routing(district: String, from results: some Collection<PostgresRows>) throws -> Routing? {
        guard let head = results.first, let members = results.dropFirst().first else { return nil }
        guard let row = head.first else { return nil }
        var routing = Routing(districtID: district, regionID: try row.decode(String.self, at: 0), officeID: try row.decode(String.self, at: 1),
                              creditedTeamPath: try row.decode(String.self, at: 2), officeLeads: [], districtLeads: [], dealers: [],
                              escalation: [], slaSeconds: try row.decode(Int.self, at: 3),
                              dealerAcceptSeconds: try row.decode(Int.self, column: "dealer_accept_seconds"),
                              returnVisitSeconds: try row.decode(Int.self, column: "return_visit_seconds"))
        for member in members {
            routing.add(member: try member.decode(String.self, at: 1), as: try member.decode(String.self, at: 0))
        }
        return routing
    }
}

extension Routing {
    /// A routing member as `district_routing_members.member_role` names its group.
    mutating func add(member account: String, as role: String) {
        switch role {
        case "office_lead": officeLeads.append(account)
        case "district_lead": districtLeads.append(account)
        case "dealer": dealers.append(account)
        default: escalation.append(account)
        }
    }
}
