import Messages
import Postgres

/// The reports' SQL. Every query takes the same parameters: $1 team path, $2 team prefix
/// (the caller's subtree), $3 from, $4 to (submission time, [from, to)), $5 time zone.
struct ReportQueries: Sendable {
    static let scope = """
        (o.credited_team_path = $1 OR left(o.credited_team_path, length($2)) = $2)
        AND o.created_at >= $3 AND o.created_at < $4
        """

    struct Scope: Sendable {
        var teamPath: String
        var teamPrefix: String
        var fromMillis: Int64
        var toMillis: Int64
        var timeZone: String

        var parameters: [PostgresValue] {
            [.text(teamPath), .text(teamPrefix), .timestampMillis(fromMillis), .timestampMillis(toMillis), .text(timeZone)]
        }
    }

    func salesByTeam(_ scope: Scope, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_TeamSales] {
        let rows = try await tx.query("""
            SELECT o.credited_team_path, count(*)::int, sum(o.total_fen)::bigint,
                   (count(*) FILTER (WHERE o.state = 'visited'))::int,
                   coalesce(sum(o.actual_total_fen) FILTER (WHERE o.state = 'visited'), 0)::bigint
            FROM orders o
            WHERE \(Self.scope) AND o.state <> 'cancelled' AND $5::text IS NOT NULL
            GROUP BY o.credited_team_path ORDER BY o.credited_team_path
            """, scope.parameters)
        return try rows.map { row in
            var sales = Xsc_Orders_V1_TeamSales()
            sales.creditedTeamPath = try row.decode(String.self, at: 0)
            sales.orders = try row.decode(Int32.self, at: 1)
            sales.orderedFen = try row.decode(Int64.self, at: 2)
            sales.visitedOrders = try row.decode(Int32.self, at: 3)
            sales.actualFen = try row.decode(Int64.self, at: 4)
            return sales
        }
    }

    /// Acknowledgement times: from the prompt (the order's submission, or its forwarding to
    /// a district lead) to the acknowledgement, per acknowledging lead; misses per lead.
    func slaCompliance(_ scope: Scope, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_LeadCompliance] {
        let results = try await tx.run([
            PostgresStatement("""
                WITH steps AS (
                    SELECT e.actor_account_id AS account, e.kind,
                           e.at - lag(e.at) OVER (PARTITION BY e.order_id ORDER BY e.sequence) AS waited
                    FROM order_events e JOIN orders o ON o.id = e.order_id
                    WHERE \(Self.scope) AND $5::text IS NOT NULL AND e.kind IN ('submitted', 'assigned', 'acknowledged'))
                SELECT account, count(*)::int,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM waited)::float8 * 1000)::bigint,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM waited)::float8 * 1000)::bigint
                FROM steps WHERE kind = 'acknowledged' GROUP BY account
                """, scope.parameters),
            PostgresStatement("""
                SELECT account, count(*)::int FROM (
                    SELECT unnest(string_to_array(v.responsible_account_ids, ',')) AS account
                    FROM sla_violations v JOIN orders o ON o.id = v.order_id
                    WHERE \(Self.scope) AND $5::text IS NOT NULL) missed
                GROUP BY account
                """, scope.parameters),
        ])
        var byAccount: [String: Xsc_Orders_V1_LeadCompliance] = [:]
        for row in results[0] {
            var lead = Xsc_Orders_V1_LeadCompliance()
            lead.accountId = try row.decode(String.self, at: 0)
            lead.acknowledgements = try row.decode(Int32.self, at: 1)
            lead.p50AckMs = try row.decode(Int64.self, at: 2)
            lead.p90AckMs = try row.decode(Int64.self, at: 3)
            byAccount[lead.accountId] = lead
        }
        for row in results[1] {
            let account = try row.decode(String.self, at: 0)
            var lead = byAccount[account] ?? Xsc_Orders_V1_LeadCompliance()
            lead.accountId = account
            lead.misses = try row.decode(Int32.self, at: 1)
            byAccount[account] = lead
        }
        return byAccount.keys.sorted().compactMap { byAccount[$0] }
    }

    func ordersByWeekdayHour(_ scope: Scope, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_WeekdayHourCell] {
        let rows = try await tx.query("""
            SELECT extract(isodow FROM o.created_at AT TIME ZONE $5::text)::int AS weekday,
                   extract(hour FROM o.created_at AT TIME ZONE $5::text)::int AS hour, count(*)::int
            FROM orders o WHERE \(Self.scope)
            GROUP BY weekday, hour ORDER BY weekday, hour
            """, scope.parameters)
        return try rows.map { row in
            var cell = Xsc_Orders_V1_WeekdayHourCell()
            cell.weekday = try row.decode(Int32.self, at: 0)
            cell.hour = try row.decode(Int32.self, at: 1)
            cell.orders = try row.decode(Int32.self, at: 2)
            return cell
        }
    }

    func channelMix(_ scope: Scope, in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_ChannelShare] {
        let rows = try await tx.query("""
            SELECT o.source, count(*)::int, sum(o.total_fen)::bigint
            FROM orders o WHERE \(Self.scope) AND o.state <> 'cancelled' AND $5::text IS NOT NULL
            GROUP BY o.source ORDER BY count(*) DESC, o.source
            """, scope.parameters)
        return try rows.map { row in
            var share = Xsc_Orders_V1_ChannelShare()
            share.source = OrderSource(storedName: try row.decode(String.self, at: 0))
            share.orders = try row.decode(Int32.self, at: 1)
            share.orderedFen = try row.decode(Int64.self, at: 2)
            return share
        }
    }
}
