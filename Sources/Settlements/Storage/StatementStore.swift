import Postgres

/// `statements`, `period_closes` and `carried_balances`: closing a week and a statement's life.
struct StatementStore: Sendable {
    /// Closes the week starting at `start` in one transaction, set-based (one statement per
    /// dealer and payee with lines in the week; the lines stay where they are). The caller holds the week's exclusive
    /// lock. Returns nil when the week had been closed before (nothing changes).
    func close(start: Int64, end: Int64, weekName: String, closedBy: String, at now: Int64,
               in tx: PostgresTransaction) async throws -> Int? {
        let claimed = try await tx.query("""
            INSERT INTO period_closes (period_start, week_name, closed_at, closed_by, statement_count)
            VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING RETURNING 1
            """, [.timestampMillis(start), .text(weekName), .timestampMillis(now), .text(closedBy)])
        guard !claimed.isEmpty else { return nil }
        let results = try await tx.run([
            // 1. The negative balance each payee with lines this week carries in from its last
            //    statement, as a line of its own (before the statements: their totals include it).
            PostgresStatement("""
                INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
                    payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
                SELECT gen_random_uuid()::text, 'carry_forward', 0, '', '', 'carry:' || b.from_statement_id, p.region_id,
                    b.dealer_account_id, b.payee_account_id, 0, b.balance_fen, 0, $2, $1, $2
                FROM carried_balances b JOIN statements p ON p.id = b.from_statement_id
                WHERE b.balance_fen <> 0 AND EXISTS (SELECT 1 FROM week_totals t WHERE t.period_start = $1
                    AND t.dealer_account_id = b.dealer_account_id AND t.payee_account_id = b.payee_account_id)
                """, [.timestampMillis(start), .timestampMillis(now)]),
            // 2. One statement per dealer and payee: the week's lines as the database summed them
            //    while they were booked (week_totals; statements_total_check compares again).
            PostgresStatement("""
                INSERT INTO statements (id, period_start, period_end, week_name, region_id, dealer_account_id, payee_account_id,
                    state, total_fen, payable_fen, line_count, created_at)
                SELECT gen_random_uuid()::text, $1, $2, $3, region_id, dealer_account_id, payee_account_id, 'draft',
                    total_fen, greatest(total_fen, 0), line_count, $4
                FROM week_totals WHERE period_start = $1
                """, [.timestampMillis(start), .timestampMillis(end), .text(weekName), .timestampMillis(now)]),
            // 3. What each payee carries out: a negative total is never paid, it is netted next
            //    time; a payee back in the black carries nothing.
            PostgresStatement("""
                INSERT INTO carried_balances (dealer_account_id, payee_account_id, balance_fen, from_statement_id)
                SELECT dealer_account_id, payee_account_id, total_fen, id FROM statements WHERE period_start = $1 AND total_fen < 0
                ON CONFLICT (dealer_account_id, payee_account_id) DO UPDATE
                    SET balance_fen = EXCLUDED.balance_fen, from_statement_id = EXCLUDED.from_statement_id
                """, [.timestampMillis(start)]),
            PostgresStatement("""
                UPDATE carried_balances b SET balance_fen = 0, from_statement_id = s.id FROM statements s
                WHERE s.period_start = $1 AND s.total_fen >= 0 AND b.balance_fen <> 0
                  AND s.dealer_account_id = b.dealer_account_id AND s.payee_account_id = b.payee_account_id
                """, [.timestampMillis(start)]),
            PostgresStatement("""
                UPDATE period_closes SET statement_count = (SELECT count(*) FROM statements WHERE period_start = $1)
                WHERE period_start = $1 RETURNING statement_count
                """, [.timestampMillis(start)]),
        ])
        return try results.last?.first?.decode(Int.self, column: "statement_count") ?? 0
    }

    func statementCount(start: Int64, in tx: PostgresTransaction) async throws -> Int {
        try await tx.query("SELECT count(*) AS n FROM statements WHERE period_start = $1",
                           [.timestampMillis(start)]).first!.decode(Int.self, column: "n")
    }

    func load(_ id: String, forUpdate: Bool = false, in tx: PostgresTransaction) async throws -> StatementRow? {
        let sql = forUpdate
            ? "SELECT \(StatementRow.columns) FROM statements WHERE id = $1 FOR UPDATE"
            : "SELECT \(StatementRow.columns) FROM statements WHERE id = $1"
        return try await tx.query(sql, [.text(id)]).first.map(StatementRow.init(row:))
    }

    func lines(of statementID: String, in tx: PostgresTransaction) async throws -> [LineRow] {
        try await tx.query("""
            SELECT \(LineRow.columns) FROM statements s JOIN reward_lines l ON \(LineRow.statementJoin)
            WHERE s.id = $1 ORDER BY l.kind DESC, l.occurred_at, l.order_code, l.level
            """, [.text(statementID)]).map(LineRow.init(row:))
    }

    /// Statements matching the filters that the caller may read (payee, dealer or, with a
    /// non-empty `readerRegion`, its region).
    /// Newest week first; after the statement (period_start, dealer, payee) of `after` when given.
    /// `state` ("draft", "signed"...) narrows to one state; empty: every state.
    func list(week: String, dealer: String, payee: String, state: String = "", readerAccount: String, readerRegion: String,
              limit: Int, after: (millis: Int64, dealer: String, payee: String)?, in tx: PostgresTransaction) async throws -> [StatementRow] {
        try await tx.query("""
            SELECT \(StatementRow.columns) FROM statements
            WHERE ($1 = '' OR week_name = $1) AND ($2 = '' OR dealer_account_id = $2) AND ($3 = '' OR payee_account_id = $3)
              AND (payee_account_id = $4 OR dealer_account_id = $4 OR ($5 <> '' AND region_id = $5))
              AND (NOT $7 OR (period_start, dealer_account_id, payee_account_id) < ($8, $9, $10))
              AND ($11 = '' OR state = $11)
            ORDER BY period_start DESC, dealer_account_id DESC, payee_account_id DESC LIMIT $6
            """, [.text(week), .text(dealer), .text(payee), .text(readerAccount), .text(readerRegion), .int(limit),
                  .bool(after != nil), .timestampMillis(after?.millis ?? 0), .text(after?.dealer ?? ""), .text(after?.payee ?? ""),
                  .text(state)])
            .map(StatementRow.init(row:))
    }

    func sign(_ id: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE statements SET state = 'signed', signed_by = $2, signed_at = $3 WHERE id = $1",
                                 [.text(id), .text(account), .timestampMillis(now)])
    }

    func recordPayment(_ id: String, reference: String, paidOn: Int64, by account: String,
                       in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            UPDATE statements SET state = 'paid', payment_reference = $2, paid_on = $3, paid_recorded_by = $4 WHERE id = $1
            """, [.text(id), .text(reference), .timestampMillis(paidOn), .text(account)])
    }

    func archive(_ id: String, at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE statements SET state = 'archived', archived_at = $2 WHERE id = $1",
                                 [.text(id), .timestampMillis(now)])
    }

    /// A dealer's statements still to pay (signed) or to be signed (draft).
    func unpaid(dealer: String, in tx: PostgresTransaction) async throws -> [StatementRow] {
        try await tx.query("""
            SELECT \(StatementRow.columns) FROM statements WHERE dealer_account_id = $1 AND state IN ('draft', 'signed')
            ORDER BY period_start, payee_account_id
            """, [.text(dealer)]).map(StatementRow.init(row:))
    }
}

/// One `statements` row.
struct StatementRow: Sendable {
    static let columns = """
        id, period_start, period_end, week_name, region_id, dealer_account_id, payee_account_id, state, total_fen,
        payable_fen, line_count, signed_by, signed_at, payment_reference, paid_on, archived_at, created_at
        """

    var id: String
    var periodStartMillis: Int64
    var periodEndMillis: Int64
    var weekName: String
    var regionID: String
    var dealerAccountID: String
    var payeeAccountID: String
    var state: String
    var totalFen: Int64
    var payableFen: Int64
    var lineCount: Int
    var signedBy: String?
    var signedAtMillis: Int64?
    var paymentReference: String?
    var paidOnMillis: Int64?
    var archivedAtMillis: Int64?
    var createdAtMillis: Int64

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        periodStartMillis = try row.decode(Int64.self, column: "period_start")
        periodEndMillis = try row.decode(Int64.self, column: "period_end")
        weekName = try row.decode(String.self, column: "week_name")
        regionID = try row.decode(String.self, column: "region_id")
        dealerAccountID = try row.decode(String.self, column: "dealer_account_id")
        payeeAccountID = try row.decode(String.self, column: "payee_account_id")
        state = try row.decode(String.self, column: "state")
        totalFen = try row.decode(Int64.self, column: "total_fen")
        payableFen = try row.decode(Int64.self, column: "payable_fen")
        lineCount = try row.decode(Int.self, column: "line_count")
        signedBy = try row.decode(String?.self, column: "signed_by")
        signedAtMillis = try row.decode(Int64?.self, column: "signed_at")
        paymentReference = try row.decode(String?.self, column: "payment_reference")
        paidOnMillis = try row.decode(Int64?.self, column: "paid_on")
        archivedAtMillis = try row.decode(Int64?.self, column: "archived_at")
        createdAtMillis = try row.decode(Int64.self, column: "created_at")
    }
}

extension StatementStore {
    /// Weeks before `start` that have lines but were never closed (lines of weeks before the
    /// service's first Monday timer, booked late), oldest first.
    func unclosedWeeksWithLines(before start: Int64, in tx: PostgresTransaction) async throws -> [Int64] {
        try await tx.query("""
            SELECT DISTINCT t.period_start FROM week_totals t
            WHERE t.period_start < $1 AND NOT EXISTS (SELECT 1 FROM period_closes c WHERE c.period_start = t.period_start)
            ORDER BY t.period_start
            """, [.timestampMillis(start)]).map { try $0.decode(Int64.self, column: "period_start") }
    }
}
