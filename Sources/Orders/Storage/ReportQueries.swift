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

    /// Which time puts an order in the sales report's range and period.
    enum SalesBasis: Sendable {
        /// Submission: every order but cancelled ones.
        case submitted
        /// The return visit: visited orders only (refunded ones have left that state).
        case visited

        /// The orders of the caller's subtree in [$3, $4) by this basis's time, and that time.
        var scopedOrders: (filter: String, time: String) {
            switch self {
            case .submitted: return (ReportQueries.scope + " AND o.state <> 'cancelled'", "o.created_at")
            case .visited:
                return ("""
                    (o.credited_team_path = $1 OR left(o.credited_team_path, length($2)) = $2)
                    AND o.visited_at >= $3 AND o.visited_at < $4 AND o.state = 'visited'
                    """, "o.visited_at")
            }
        }
    }

    /// Sales per credited team, per period of `grouping` (local midnights of the organisation's
    /// zone; PostgreSQL's weeks start on Monday, as business weeks do), counted by submission or
    /// by return visit (`basis`). Promotion advances are costs, not sales. $6 date_trunc unit
    /// ('' for the whole range), $7 to_char format.
    func salesByTeam(_ scope: Scope, grouping: ReportGrouping, basis: SalesBasis,
                     in tx: PostgresTransaction) async throws -> [Xsc_Orders_V1_TeamSales] {
        let (filter, time) = basis.scopedOrders
        let rows = try await tx.query("""
            WITH scoped AS (
                SELECT o.credited_team_path, o.state, o.total_fen, o.actual_total_fen,
                       CASE WHEN $6 = '' THEN NULL ELSE date_trunc($6, \(time) AT TIME ZONE $5::text) END AS local_period
                FROM orders o
                WHERE \(filter) AND o.promotion_plan_id = '')
            SELECT credited_team_path, local_period AT TIME ZONE $5::text, coalesce(to_char(local_period, $7), ''),
                   count(*)::int, sum(total_fen)::bigint,
                   (count(*) FILTER (WHERE state = 'visited'))::int,
                   coalesce(sum(actual_total_fen) FILTER (WHERE state = 'visited'), 0)::bigint
            FROM scoped
            GROUP BY credited_team_path, local_period ORDER BY local_period NULLS FIRST, credited_team_path
            """, scope.parameters + [.text(grouping.truncationUnit), .text(grouping.labelFormat)])
        return try rows.map { row in
            var sales = Xsc_Orders_V1_TeamSales()
            sales.creditedTeamPath = try row.decode(String.self, at: 0)
            sales.periodStartMs = try row.decode(Int64?.self, at: 1) ?? 0
            sales.period = try row.decode(String.self, at: 2)
            sales.orders = try row.decode(Int32.self, at: 3)
            sales.orderedFen = try row.decode(Int64.self, at: 4)
            sales.visitedOrders = try row.decode(Int32.self, at: 5)
            sales.actualFen = try row.decode(Int64.self, at: 6)
            return sales
        }
    }

    /// Acknowledgement times: from the prompt (the order's submission, or its forwarding to
    /// a district lead) to the acknowledgement, per acknowledging lead; misses per lead, those
    /// still standing apart from those withdrawn (done in time after all).
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
                SELECT account, (count(*) FILTER (WHERE NOT withdrawn))::int, (count(*) FILTER (WHERE withdrawn))::int FROM (
                    SELECT unnest(string_to_array(v.responsible_account_ids, ',')) AS account, v.withdrawn_at IS NOT NULL AS withdrawn
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
            lead.withdrawnMisses = try row.decode(Int32.self, at: 2)
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
            FROM orders o WHERE \(Self.scope) AND o.state <> 'cancelled' AND o.promotion_plan_id = '' AND $5::text IS NOT NULL
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

/// How SalesByTeam splits its range (ReportPeriod), as PostgreSQL's date_trunc and to_char
/// spell it.
struct ReportGrouping: Sendable {
    var truncationUnit: String
    var labelFormat: String

    init(_ period: Xsc_Orders_V1_ReportPeriod) {
        switch period {
        case .day: (truncationUnit, labelFormat) = ("day", "YYYY-MM-DD")
        case .week: (truncationUnit, labelFormat) = ("week", "IYYY-\"W\"IW")
        case .month: (truncationUnit, labelFormat) = ("month", "YYYY-MM")
        case .quarter: (truncationUnit, labelFormat) = ("quarter", "YYYY\"Q\"Q")
        case .unspecified, .unrecognized: (truncationUnit, labelFormat) = ("", "")
        }
    }
}
