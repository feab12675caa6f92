import Postgres

/// The violation ledger: `violations`, `violation_withdrawals`, `penalty_tables`.
struct ViolationLedgerStore: Sendable {
    struct NewViolation: Sendable {
        var eventID: String
        var personAccountID: String
        var source: String
        var rule: String
        var teamPath: String
        var reference: String
        var orderID: String = ""
        var slaStep: Int = 0
        var dueAtMillis: Int64
        var recordedAtMillis: Int64
        var severity: ViolationSeverity
        var personKind: PersonKind
        var detail: String
    }

    /// The team's own penalty for the class, else the company's.
    func penalty(teamPath: String, kind: PersonKind, severity: ViolationSeverity, in tx: PostgresTransaction) async throws -> Int64 {
        try await tx.query("""
            SELECT penalty_fen FROM penalty_tables WHERE team_path IN ($1, '') AND person_kind = $2 AND class = $3
            ORDER BY team_path DESC LIMIT 1
            """, [.text(teamPath), .text(kind.rawValue), .text(severity.rawValue)]).first?.decode(Int64.self, column: "penalty_fen") ?? 0
    }

    /// Records it once per (event, person); `withdrawal` set when its withdrawal came first.
    func insert(_ violation: NewViolation, id: String, penaltyFen: Int64, withdrawal: (eventID: String, at: Int64)?,
                at now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            INSERT INTO violations (id, event_id, person_account_id, source, rule, team_path, reference, order_id, sla_step,
                due_at, recorded_at, class, person_kind, penalty_fen, detail, withdrawn_at, withdrawal_event_id, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
            ON CONFLICT (event_id, person_account_id) DO NOTHING
            """, [.text(id), .text(violation.eventID), .text(violation.personAccountID), .text(violation.source),
                  .text(violation.rule), .text(violation.teamPath), .text(violation.reference), .text(violation.orderID),
                  .int(violation.slaStep), .timestampMillis(violation.dueAtMillis), .timestampMillis(violation.recordedAtMillis),
                  .text(violation.severity.rawValue), .text(violation.personKind.rawValue), .int64(penaltyFen),
                  .text(violation.detail), withdrawal.map { .timestampMillis($0.at) } ?? .null,
                  withdrawal.map { .text($0.eventID) } ?? .null, .timestampMillis(now)])
    }

    /// A withdrawal already received for this SLA miss (by its event id, or for misses from
    /// before orders kept ids, by order, step and due time).
    func withdrawal(violationEventID: String, orderID: String, step: Int, dueAt: Int64,
                    in tx: PostgresTransaction) async throws -> (eventID: String, at: Int64)? {
        let rows = try await tx.query("""
            SELECT event_id, withdrawn_at FROM violation_withdrawals
            WHERE violation_event_id = $1 OR (violation_event_id = '' AND order_id = $2 AND sla_step = $3 AND due_at = $4)
            ORDER BY withdrawn_at LIMIT 1
            """, [.text(violationEventID), .text(orderID), .int(step), .timestampMillis(dueAt)])
        guard let row = rows.first else { return nil }
        return (try row.decode(String.self, column: "event_id"), try row.decode(Int64.self, column: "withdrawn_at"))
    }

    /// Keeps the withdrawal and marks the misses it names (if they arrived already) withdrawn.
    func withdraw(eventID: String, violationEventID: String, orderID: String, step: Int, dueAt: Int64, at withdrawnAt: Int64,
                  detail: String, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("""
                INSERT INTO violation_withdrawals (event_id, violation_event_id, order_id, sla_step, due_at, withdrawn_at, detail)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
                """, [.text(eventID), .text(violationEventID), .text(orderID), .int(step), .timestampMillis(dueAt),
                      .timestampMillis(withdrawnAt), .text(detail)]),
            PostgresStatement("""
                UPDATE violations SET withdrawn_at = $5, withdrawal_event_id = $6
                WHERE withdrawn_at IS NULL AND source = 'sla'
                  AND (($1 <> '' AND event_id = $1) OR ($1 = '' AND order_id = $2 AND sla_step = $3 AND due_at = $4))
                """, [.text(violationEventID), .text(orderID), .int(step), .timestampMillis(dueAt), .timestampMillis(withdrawnAt),
                      .text(eventID)]),
        ])
    }

    /// Newest first; after the violation (recorded_at, id) of `after` when given.
    func list(teamPath: String, person: String, limit: Int, after: (millis: Int64, id: String)?,
              in tx: PostgresTransaction) async throws -> [ViolationRow] {
        try await tx.query("""
            SELECT \(ViolationRow.columns) FROM violations
            WHERE ($1 = '' OR team_path = $1) AND ($2 = '' OR person_account_id = $2) AND (NOT $4 OR (recorded_at, id) < ($5, $6))
            ORDER BY recorded_at DESC, id DESC LIMIT $3
            """, [.text(teamPath), .text(person), .int(limit), .bool(after != nil), .timestampMillis(after?.millis ?? 0),
                  .text(after?.id ?? "")]).map(ViolationRow.init(row:))
    }

    /// Standing (not withdrawn) violations of the team per person and class.
    func summary(teamPath: String, in tx: PostgresTransaction) async throws -> [(person: String, severity: String, count: Int, penalty: Int64)] {
        try await tx.query("""
            SELECT person_account_id, class, count(*) AS n, sum(penalty_fen)::bigint AS penalty FROM violations
            WHERE team_path = $1 AND withdrawn_at IS NULL GROUP BY person_account_id, class ORDER BY person_account_id, class
            """, [.text(teamPath)]).map { row in
                (try row.decode(String.self, column: "person_account_id"), try row.decode(String.self, column: "class"),
                 try row.decode(Int.self, column: "n"), try row.decode(Int64.self, column: "penalty"))
            }
    }
}

struct ViolationRow: Sendable {
    static let columns = """
        id, source, rule, person_account_id, team_path, reference, due_at, recorded_at, class, penalty_fen, detail, withdrawn_at
        """

    var id: String
    var source: String
    var rule: String
    var personAccountID: String
    var teamPath: String
    var reference: String
    var dueAtMillis: Int64
    var recordedAtMillis: Int64
    var severity: ViolationSeverity
    var penaltyFen: Int64
    var detail: String
    var withdrawn: Bool

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        source = try row.decode(String.self, column: "source")
        rule = try row.decode(String.self, column: "rule")
        personAccountID = try row.decode(String.self, column: "person_account_id")
        teamPath = try row.decode(String.self, column: "team_path")
        reference = try row.decode(String.self, column: "reference")
        dueAtMillis = try row.decode(Int64.self, column: "due_at")
        recordedAtMillis = try row.decode(Int64.self, column: "recorded_at")
        severity = ViolationSeverity(rawValue: try row.decode(String.self, column: "class")) ?? .general
        penaltyFen = try row.decode(Int64.self, column: "penalty_fen")
        detail = try row.decode(String.self, column: "detail")
        withdrawn = try row.decode(Int64?.self, column: "withdrawn_at") != nil
    }
}

extension ViolationLedgerStore {
    func setTeamPenalty(teamPath: String, kind: PersonKind, severity: ViolationSeverity, penaltyFen: Int64,
                        in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            INSERT INTO penalty_tables (team_path, person_kind, class, penalty_fen) VALUES ($1, $2, $3, $4)
            ON CONFLICT (team_path, person_kind, class) DO UPDATE SET penalty_fen = EXCLUDED.penalty_fen
            """, [.text(teamPath), .text(kind.rawValue), .text(severity.rawValue), .int64(penaltyFen)])
    }

    func load(id: String, in tx: PostgresTransaction) async throws -> ViolationRow? {
        try await tx.query("SELECT \(ViolationRow.columns) FROM violations WHERE id = $1", [.text(id)]).first.map(ViolationRow.init(row:))
    }
}
