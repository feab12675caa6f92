import Postgres

/// `reward_lines` outside statements, and the week locks that keep a new line and the close of
/// its week from crossing.
struct LineStore: Sendable {
    /// A line to book (a reward or a clawback).
    struct NewLine: Sendable {
        var kind: String
        var level: Int
        var orderID: String
        var orderCode: String
        var eventID: String
        var regionID: String
        var dealerAccountID: String
        var payeeAccountID: String
        var salesFen: Int64
        var amountFen: Int64
        var ruleVersion: Int64
        var occurredAtMillis: Int64
    }

    /// The advisory lock key of a week: (7105, minutes since the epoch of its start). The
    /// two-key form keeps clear of the single-key locks other code (migrations) takes.
    static func lockStatement(periodStart: Int64, shared: Bool) -> PostgresStatement {
        PostgresStatement(shared ? "SELECT pg_advisory_xact_lock_shared(7105, $1::int)" : "SELECT pg_advisory_xact_lock(7105, $1::int)",
                          [.int64(periodStart / 60_000)])
    }

    func lockWeek(start: Int64, shared: Bool, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([Self.lockStatement(periodStart: start, shared: shared)])
    }

    func isClosed(periodStart: Int64, in tx: PostgresTransaction) async throws -> Bool {
        !(try await tx.query("SELECT 1 FROM period_closes WHERE period_start = $1", [.timestampMillis(periodStart)]).isEmpty)
    }

    /// Books the line into `periodStart`; false when the (order, level, kind) was booked before.
    func insert(_ line: NewLine, id: String, periodStart: Int64, at now: Int64, in tx: PostgresTransaction) async throws -> Bool {
        let rows = try await tx.query("""
            INSERT INTO reward_lines (id, kind, level, order_id, order_code, event_id, region_id, dealer_account_id,
                payee_account_id, sales_fen, amount_fen, rule_version, occurred_at, period_start, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (order_id, level, kind) WHERE kind <> 'carry_forward' DO NOTHING RETURNING 1
            """, [.text(id), .text(line.kind), .int(line.level), .text(line.orderID), .text(line.orderCode), .text(line.eventID),
                  .text(line.regionID), .text(line.dealerAccountID), .text(line.payeeAccountID), .int64(line.salesFen),
                  .int64(line.amountFen), .int64(line.ruleVersion), .timestampMillis(line.occurredAtMillis),
                  .timestampMillis(periodStart), .timestampMillis(now)])
        return !rows.isEmpty
    }

    /// The reward lines of an order (one per level), as a refund claws them back.
    func rewards(orderID: String, in tx: PostgresTransaction) async throws -> [LineRow] {
        try await tx.query("""
            SELECT \(LineRow.columns) FROM reward_lines l LEFT JOIN statements s ON \(LineRow.statementJoin)
            WHERE l.order_id = $1 AND l.kind = 'reward' ORDER BY l.level
            """, [.text(orderID)]).map(LineRow.init(row:))
    }
}

/// One `reward_lines` row with the state of its statement (nil while not on one).
struct LineRow: Sendable {
    static let columns = """
        l.id, l.kind, l.level, l.order_id, l.order_code, l.event_id, l.region_id, l.dealer_account_id, l.payee_account_id,
        l.sales_fen, l.amount_fen, l.rule_version, l.occurred_at, l.period_start, s.id AS statement_id,
        s.state AS statement_state, s.week_name AS statement_week
        """
    /// A line is on the statement of its week, dealer and payee (once the week is closed).
    static let statementJoin = """
        s.period_start = l.period_start AND s.dealer_account_id = l.dealer_account_id AND s.payee_account_id = l.payee_account_id
        """

    var id: String
    var kind: String
    var level: Int
    var orderID: String
    var orderCode: String
    var regionID: String
    var dealerAccountID: String
    var payeeAccountID: String
    var salesFen: Int64
    var amountFen: Int64
    var ruleVersion: Int64
    var occurredAtMillis: Int64
    var periodStartMillis: Int64
    var statementID: String?
    var statementState: String?
    var statementWeek: String?

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        kind = try row.decode(String.self, column: "kind")
        level = try row.decode(Int.self, column: "level")
        orderID = try row.decode(String.self, column: "order_id")
        orderCode = try row.decode(String.self, column: "order_code")
        regionID = try row.decode(String.self, column: "region_id")
        dealerAccountID = try row.decode(String.self, column: "dealer_account_id")
        payeeAccountID = try row.decode(String.self, column: "payee_account_id")
        salesFen = try row.decode(Int64.self, column: "sales_fen")
        amountFen = try row.decode(Int64.self, column: "amount_fen")
        ruleVersion = try row.decode(Int64.self, column: "rule_version")
        occurredAtMillis = try row.decode(Int64.self, column: "occurred_at")
        periodStartMillis = try row.decode(Int64.self, column: "period_start")
        statementID = try row.decode(String?.self, column: "statement_id")
        statementState = try row.decode(String?.self, column: "statement_state")
        statementWeek = try row.decode(String?.self, column: "statement_week")
    }
}

extension LineStore {
    /// Serialises the events of one order (a visit and a refund arriving at once).
    func lockOrder(_ orderID: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.query("SELECT pg_advisory_xact_lock(7106, hashtext($1))", [.text(orderID)])
    }

    func isRefunded(_ orderID: String, in tx: PostgresTransaction) async throws -> Bool {
        !(try await tx.query("SELECT 1 FROM order_refunds WHERE order_id = $1", [.text(orderID)]).isEmpty)
    }

    func recordRefund(_ orderID: String, eventID: String, at millis: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("INSERT INTO order_refunds (order_id, event_id, refunded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                                 [.text(orderID), .text(eventID), .timestampMillis(millis)])
    }
}
