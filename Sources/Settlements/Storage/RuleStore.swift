import Postgres

/// Reads and writes of `reward_rules` and `reward_rule_per_unit`.
struct RuleStore: Sendable {
    /// Serialises new versions of one region (two concurrent sets get consecutive versions).
    func lockRegion(_ regionID: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.query("SELECT pg_advisory_xact_lock(7105, hashtext('rules:' || $1))", [.text(regionID)])
    }

    func nextVersion(region: String, in tx: PostgresTransaction) async throws -> Int64 {
        try await tx.query("SELECT coalesce(max(version), 0) + 1 AS next FROM reward_rules WHERE region_id = $1",
                           [.text(region)]).first!.decode(Int64.self, column: "next")
    }

    func insert(_ rule: RewardRuleSet, createdBy: String, at now: Int64, in tx: PostgresTransaction) async throws {
        var statements = [PostgresStatement("""
            INSERT INTO reward_rules (region_id, version, effective_from, percent_bp, level2_bp, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(rule.regionID), .int64(rule.version), .timestampMillis(rule.effectiveFromMillis),
                  .int64(rule.percentBasisPoints), .int64(rule.level2BasisPoints), .text(createdBy), .timestampMillis(now)])]
        for (sku, fen) in rule.perUnitFen.sorted(by: { $0.key < $1.key }) {
            statements.append(PostgresStatement("""
                INSERT INTO reward_rule_per_unit (region_id, version, sku_id, fen_per_unit) VALUES ($1, $2, $3, $4)
                """, [.text(rule.regionID), .int64(rule.version), .text(sku), .int64(fen)]))
        }
        _ = try await tx.run(statements)
    }

    /// The version in effect at `millis`: the latest effective_from not after it.
    func rule(region: String, at millis: Int64, in tx: PostgresTransaction) async throws -> StoredRule? {
        let rows = try await tx.query("""
            SELECT \(StoredRule.columns) FROM reward_rules
            WHERE region_id = $1 AND effective_from <= $2 ORDER BY effective_from DESC, version DESC LIMIT 1
            """, [.text(region), .timestampMillis(millis)])
        guard let row = rows.first else { return nil }
        var rule = try StoredRule(row: row)
        rule.set.perUnitFen = try await perUnit(region: region, version: rule.set.version, in: tx)
        return rule
    }

    func list(region: String, in tx: PostgresTransaction) async throws -> [StoredRule] {
        let rows = try await tx.query("""
            SELECT \(StoredRule.columns) FROM reward_rules WHERE region_id = $1 ORDER BY version
            """, [.text(region)])
        var rules = try rows.map(StoredRule.init(row:))
        for index in rules.indices {
            rules[index].set.perUnitFen = try await perUnit(region: region, version: rules[index].set.version, in: tx)
        }
        return rules
    }

    private func perUnit(region: String, version: Int64, in tx: PostgresTransaction) async throws -> [String: Int64] {
        let rows = try await tx.query("""
            SELECT sku_id, fen_per_unit FROM reward_rule_per_unit WHERE region_id = $1 AND version = $2
            """, [.text(region), .int64(version)])
        var rates: [String: Int64] = [:]
        for row in rows { rates[try row.decode(String.self, column: "sku_id")] = try row.decode(Int64.self, column: "fen_per_unit") }
        return rates
    }
}

/// A `reward_rules` row with who made it.
struct StoredRule: Sendable {
    static let columns = "region_id, version, effective_from, percent_bp, level2_bp, created_by, created_at"

    var set: RewardRuleSet
    var createdBy: String
    var createdAtMillis: Int64

    init(set: RewardRuleSet, createdBy: String, createdAtMillis: Int64) {
        self.set = set
        self.createdBy = createdBy
        self.createdAtMillis = createdAtMillis
    }

    init(row: PostgresRow) throws {
        set = RewardRuleSet(regionID: try row.decode(String.self, column: "region_id"),
                            version: try row.decode(Int64.self, column: "version"),
                            effectiveFromMillis: try row.decode(Int64.self, column: "effective_from"),
                            percentBasisPoints: try row.decode(Int64.self, column: "percent_bp"),
                            perUnitFen: [:],
                            level2BasisPoints: try row.decode(Int64.self, column: "level2_bp"))
        createdBy = try row.decode(String.self, column: "created_by")
        createdAtMillis = try row.decode(Int64.self, column: "created_at")
    }
}
