import Postgres

/// Every SQL statement on proposals and what hangs on them (participants, deciders,
/// checkpoints, reports, evaluations). Violations are in `ViolationStore`.
struct ProposalStore: Sendable {
    /// The proposal and all its parts in one round trip; `forUpdate` locks the proposal row,
    /// which serialises every change to one proposal.
    func load(_ id: String, forUpdate: Bool, in tx: PostgresTransaction) async throws -> ProposalRecord? {
        let lock = forUpdate
            ? "SELECT \(ProposalRecord.columns) FROM proposals WHERE id = $1 FOR UPDATE"
            : "SELECT \(ProposalRecord.columns) FROM proposals WHERE id = $1"
        let results = try await tx.run([PostgresStatement(lock, [.text(id)])] + partStatements([id]))
        guard let row = results[0].first else { return nil }
        var record = try ProposalRecord(row: row)
        try Self.attachParts(Array(results.dropFirst()), to: &record)
        return record
    }

    /// The parts of several proposals (a page of a list).
    func loadParts(of records: inout [ProposalRecord], in tx: PostgresTransaction) async throws {
        guard !records.isEmpty else { return }
        let results = try await tx.run(partStatements(records.map(\.id)))
        for index in records.indices { try Self.attachParts(results, to: &records[index]) }
    }

    private func partStatements(_ ids: [String]) -> [PostgresStatement] {
        let list = PostgresValue.text(ids.joined(separator: ","))
        return [
            PostgresStatement("""
                SELECT proposal_id, account_id FROM proposal_participants
                WHERE proposal_id = ANY(string_to_array($1, ',')) ORDER BY proposal_id, position
                """, [list]),
            PostgresStatement("""
                SELECT proposal_id, level, account_id FROM proposal_deciders
                WHERE proposal_id = ANY(string_to_array($1, ',')) ORDER BY proposal_id, level, account_id
                """, [list]),
            PostgresStatement("""
                SELECT id, proposal_id, position, at, due_at FROM checkpoints
                WHERE proposal_id = ANY(string_to_array($1, ',')) ORDER BY proposal_id, position
                """, [list]),
            PostgresStatement("""
                SELECT r.checkpoint_id, r.account_id, r.result, r.reported_at, r.late FROM checkpoint_reports r
                JOIN checkpoints c ON c.id = r.checkpoint_id
                WHERE c.proposal_id = ANY(string_to_array($1, ',')) ORDER BY r.reported_at, r.account_id
                """, [list]),
            PostgresStatement("""
                SELECT proposal_id, account_id, score, text, submitted_at, late FROM evaluations
                WHERE proposal_id = ANY(string_to_array($1, ',')) ORDER BY submitted_at, account_id
                """, [list]),
            PostgresStatement("""
                SELECT \(ViolationStore.columns) FROM violations
                WHERE proposal_id = ANY(string_to_array($1, ',')) ORDER BY recorded_at, rule, person
                """, [list]),
        ]
    }

    private static func attachParts(_ results: [PostgresRows], to record: inout ProposalRecord) throws {
        let id = record.id
        record.participants = try results[0].filter { try $0.decode(String.self, column: "proposal_id") == id }
            .map { try $0.decode(String.self, column: "account_id") }
        var levels: [[String]] = []
        for row in results[1] where try row.decode(String.self, column: "proposal_id") == id {
            let level = try row.decode(Int.self, column: "level")
            while levels.count <= level { levels.append([]) }
            levels[level].append(try row.decode(String.self, column: "account_id"))
        }
        record.deciderLevels = levels
        var reports: [String: [ProposalRecord.ReportRecord]] = [:]
        for row in results[3] {
            let report = ProposalRecord.ReportRecord(
                checkpointID: try row.decode(String.self, column: "checkpoint_id"), account: try row.decode(String.self, column: "account_id"),
                result: try row.decode(String.self, column: "result"), reportedAt: try row.decode(Int64.self, column: "reported_at"),
                late: try row.decode(Bool.self, column: "late"))
            reports[report.checkpointID, default: []].append(report)
        }
        record.checkpoints = try results[2].filter { try $0.decode(String.self, column: "proposal_id") == id }.map { row in
            let checkpointID = try row.decode(String.self, column: "id")
            return ProposalRecord.CheckpointRecord(id: checkpointID, position: try row.decode(Int.self, column: "position"),
                                                   at: try row.decode(Int64.self, column: "at"),
                                                   dueAt: try row.decode(Int64.self, column: "due_at"),
                                                   reports: reports[checkpointID] ?? [])
        }
        record.evaluations = try results[4].filter { try $0.decode(String.self, column: "proposal_id") == id }.map { row in
            ProposalRecord.EvaluationRecord(account: try row.decode(String.self, column: "account_id"),
                                            score: try row.decode(Int32.self, column: "score"),
                                            text: try row.decode(String.self, column: "text"),
                                            submittedAt: try row.decode(Int64.self, column: "submitted_at"),
                                            late: try row.decode(Bool.self, column: "late"))
        }
        record.violations = try results[5].filter { try $0.decode(String.self, column: "proposal_id") == id }
            .map(ViolationStore.record)
    }

    /// A new draft with its participants and checkpoints (checkpoint ids from `makeID`).
    func insertStatements(_ record: ProposalRecord, checkpointAt: [Int64], makeID: () -> String) -> [PostgresStatement] {
        [PostgresStatement("""
            INSERT INTO proposals (id, team_path, proposer, title, purpose, content, resources, start_at, finish_at, state,
                                   created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $10)
            """, [.text(record.id), .text(record.teamPath), .text(record.proposer), .text(record.title), .text(record.purpose),
                  .text(record.content), .text(record.resources), .timestampMillis(record.startAt),
                  .timestampMillis(record.finishAt), .timestampMillis(record.createdAt)])]
            + partsStatements(record, checkpointAt: checkpointAt, makeID: makeID)
    }

    /// A draft's edit: its fields, and its participants and checkpoints replaced.
    func replaceDraftStatements(_ record: ProposalRecord, checkpointAt: [Int64], makeID: () -> String) -> [PostgresStatement] {
        [
            PostgresStatement("""
                UPDATE proposals SET title = $2, purpose = $3, content = $4, resources = $5, start_at = $6, finish_at = $7,
                    updated_at = $8 WHERE id = $1 AND state = 'draft'
                """, [.text(record.id), .text(record.title), .text(record.purpose), .text(record.content), .text(record.resources),
                      .timestampMillis(record.startAt), .timestampMillis(record.finishAt), .timestampMillis(record.updatedAt)]),
            PostgresStatement("DELETE FROM proposal_participants WHERE proposal_id = $1", [.text(record.id)]),
            PostgresStatement("DELETE FROM checkpoints WHERE proposal_id = $1", [.text(record.id)]),
        ] + partsStatements(record, checkpointAt: checkpointAt, makeID: makeID)
    }

    private func partsStatements(_ record: ProposalRecord, checkpointAt: [Int64], makeID: () -> String) -> [PostgresStatement] {
        record.participants.enumerated().map { position, account in
            PostgresStatement("INSERT INTO proposal_participants (proposal_id, position, account_id) VALUES ($1, $2, $3)",
                              [.text(record.id), .int(position), .text(account)])
        } + checkpointAt.sorted().enumerated().map { position, at in
            // Due = at until submission fixes the team's grace.
            PostgresStatement("INSERT INTO checkpoints (id, proposal_id, position, at, due_at) VALUES ($1, $2, $3, $4, $4)",
                              [.text(makeID()), .text(record.id), .int(position), .timestampMillis(at)])
        }
    }

    /// Writes the mutable columns of the proposal row (state, decision, review...).
    func saveStatement(_ record: ProposalRecord) -> PostgresStatement {
        PostgresStatement("""
            UPDATE proposals SET state = $2, updated_at = $3, submitted_at = $4, escalations = $5, first_decision_due_at = $6,
                decision_due_at = $7, first_opened_at = $8, first_opened_by = $9, decision = $10, decision_comment = $11,
                decided_by = $12, decided_at = $13, decision_late = $14, analysis = $15, analysis_at = $16,
                analysis_late = $17, review_due_at = $18
            WHERE id = $1
            """, [.text(record.id), .text(record.state.storedName), .timestampMillis(record.updatedAt),
                  Self.time(record.submittedAt), .int(record.escalations), Self.time(record.firstDecisionDueAt),
                  Self.time(record.decisionDueAt), Self.time(record.firstOpenedAt), .text(record.firstOpenedBy),
                  .text(record.decision), .text(record.decisionComment), .text(record.decidedBy), Self.time(record.decidedAt),
                  .bool(record.decisionLate), .text(record.analysis), Self.time(record.analysisAt), .bool(record.analysisLate),
                  Self.time(record.reviewDueAt)])
    }

    func decidersStatements(proposalID: String, levels: [[String]]) -> [PostgresStatement] {
        levels.enumerated().flatMap { level, accounts in
            accounts.map { account in
                PostgresStatement("INSERT INTO proposal_deciders (proposal_id, level, account_id) VALUES ($1, $2, $3)",
                                  [.text(proposalID), .int(level), .text(account)])
            }
        }
    }

    func checkpointDueStatement(checkpointID: String, dueAt: Int64) -> PostgresStatement {
        PostgresStatement("UPDATE checkpoints SET due_at = $2 WHERE id = $1", [.text(checkpointID), .timestampMillis(dueAt)])
    }

    /// One report per participant and checkpoint: false when this one was already reported.
    func insertReport(_ report: ProposalRecord.ReportRecord, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO checkpoint_reports (checkpoint_id, account_id, result, reported_at, late) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            """, [.text(report.checkpointID), .text(report.account), .text(report.result), .timestampMillis(report.reportedAt),
                  .bool(report.late)]) == 1
    }

    func insertEvaluation(proposalID: String, _ evaluation: ProposalRecord.EvaluationRecord, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO evaluations (proposal_id, account_id, score, text, submitted_at, late) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING
            """, [.text(proposalID), .text(evaluation.account), .int(Int(evaluation.score)), .text(evaluation.text),
                  .timestampMillis(evaluation.submittedAt), .bool(evaluation.late)]) == 1
    }

    /// The proposal a checkpoint belongs to (timers name checkpoints).
    func proposalID(ofCheckpoint checkpointID: String, in tx: PostgresTransaction) async throws -> String? {
        try await tx.query("SELECT proposal_id FROM checkpoints WHERE id = $1", [.text(checkpointID)])
            .first?.decode(String.self, column: "proposal_id")
    }

    /// A page of the proposals `account` may list in `team` (newest first): the team's
    /// submitted ones and the account's own drafts. `after` is the last row's sort key.
    func page(team: String, account: String, state: String, after: String?, limit: Int,
              in tx: PostgresTransaction) async throws -> [(record: ProposalRecord, key: String)] {
        try await tx.query("""
            SELECT \(ProposalRecord.columns), sort_key FROM (
                SELECT *, lpad(((extract(epoch FROM created_at) * 1000)::bigint)::text, 16, '0') || '/' || id AS sort_key
                FROM proposals
                WHERE team_path = $1 AND (state <> 'draft' OR proposer = $2) AND ($3 = '' OR state = $3)
            ) p
            WHERE ($4::text IS NULL OR sort_key < $4)
            ORDER BY sort_key DESC LIMIT $5
            """, [.text(team), .text(account), .text(state), after.map { .text($0) } ?? .null, .int(limit)])
            .map { (try ProposalRecord(row: $0), try $0.decode(String.self, column: "sort_key")) }
    }

    static func time(_ millis: Int64?) -> PostgresValue {
        millis.map { .timestampMillis($0) } ?? .null
    }
}

extension ProposalStore {
    /// The first opening by a superior; false when someone opened it before.
    func markOpened(_ id: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            UPDATE proposals SET first_opened_at = $2, first_opened_by = $3 WHERE id = $1 AND first_opened_at IS NULL
            """, [.text(id), .timestampMillis(now), .text(account)]) == 1
    }
}
