import Postgres

/// The team's customer list and the aggregated counts (read-only statements).
struct CustomerQueries: Sendable {
    struct Filter: Sendable {
        var phonePrefix = ""
        var name = ""
        var tag = ""
        var grade: Int32 = 0
        var owner = ""
        /// Next follow-up due before this moment (Unix ms); nil: no such filter.
        var followUpDueBefore: Int64?
    }

    /// Newest first, `limit` rows after `cursor`.
    func search(team: String, filter: Filter, after cursor: PageCursor?, limit: Int, pool: PostgresPool) async throws -> [CustomerRecord] {
        let rows = try await pool.query("""
            SELECT \(CustomerRecord.columns) FROM customers c
            WHERE c.team_path = $1 AND c.merged_into IS NULL
              AND ($2 = '' OR c.id IN (SELECT customer_id FROM customer_phones WHERE phone LIKE $2 || '%'))
              AND ($3 = '' OR c.name ILIKE '%' || $3 || '%')
              AND ($4 = '' OR c.tags @> ARRAY[$4::text])
              AND ($5 = 0 OR c.grade = $5)
              AND ($6 = '' OR c.owner_account_id = $6)
              AND ($7::timestamptz IS NULL OR (c.created_at, c.id) < ($7::timestamptz, $8))
              AND ($10::timestamptz IS NULL OR c.next_follow_up_at < $10::timestamptz)
            ORDER BY c.created_at DESC, c.id DESC
            LIMIT $9
            """, [.text(team), .text(filter.phonePrefix), .text(Self.escapeLike(filter.name)), .text(filter.tag),
                  .int32(filter.grade), .text(filter.owner), cursor.map { .timestampMillis($0.millis) } ?? .null,
                  .text(cursor?.id ?? ""), .int(limit), filter.followUpDueBefore.map { .timestampMillis($0) } ?? .null])
        return try rows.map(CustomerRecord.init(row:))
    }

    struct TeamCount: Sendable, Equatable {
        var teamPath: String
        var customers: Int64 = 0
        var gradeA: Int64 = 0
        var gradeB: Int64 = 0
        var gradeC: Int64 = 0
        var bound: Int64 = 0
        var followUps: Int64 = 0
    }

    /// Per team at or under `node`, by team path.
    func counts(under node: String, pool: PostgresPool) async throws -> [TeamCount] {
        let below = node == "/" ? "/%" : Self.escapeLike(node) + "/%"
        let customers = try await pool.query("""
            SELECT team_path, count(*) AS customers, count(*) FILTER (WHERE grade = 1) AS grade_a,
                   count(*) FILTER (WHERE grade = 2) AS grade_b, count(*) FILTER (WHERE grade = 3) AS grade_c,
                   count(*) FILTER (WHERE bound_intermediary <> '') AS bound
            FROM customers WHERE merged_into IS NULL AND (team_path = $1 OR team_path LIKE $2)
            GROUP BY team_path ORDER BY team_path
            """, [.text(node), .text(below)])
        var byTeam: [String: TeamCount] = [:]
        var order: [String] = []
        for row in customers {
            let team: String = try row.decode(column: "team_path")
            order.append(team)
            byTeam[team] = TeamCount(teamPath: team, customers: try row.decode(column: "customers"),
                                     gradeA: try row.decode(column: "grade_a"), gradeB: try row.decode(column: "grade_b"),
                                     gradeC: try row.decode(column: "grade_c"), bound: try row.decode(column: "bound"))
        }
        let followUps = try await pool.query("""
            SELECT c.team_path, count(*) AS follow_ups FROM follow_ups f JOIN customers c ON c.id = f.customer_id
            WHERE c.merged_into IS NULL AND (c.team_path = $1 OR c.team_path LIKE $2) GROUP BY c.team_path
            """, [.text(node), .text(below)])
        for row in followUps {
            let team: String = try row.decode(column: "team_path")
            byTeam[team]?.followUps = try row.decode(column: "follow_ups")
        }
        return order.compactMap { byTeam[$0] }
    }

    /// `text` for a LIKE pattern with its wildcards taken literally.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}

extension CustomerQueries {
    struct TagCount: Sendable {
        var tag: String
        var customers: Int64
    }

    func tagCounts(team: String, limit: Int, pool: PostgresPool) async throws -> [TagCount] {
        let rows = try await pool.query("""
            SELECT tag, count(*) AS customers FROM customers, unnest(tags) AS tag
            WHERE team_path = $1 AND merged_into IS NULL GROUP BY tag ORDER BY customers DESC, tag LIMIT $2
            """, [.text(team), .int(limit)])
        return try rows.map { TagCount(tag: try $0.decode(String.self, column: "tag"),
                                       customers: try $0.decode(Int64.self, column: "customers")) }
    }
}
