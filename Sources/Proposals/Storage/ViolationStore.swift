import Postgres

/// The violations of the proposal area, one row per (rule, person, reference).
struct ViolationStore: Sendable {
    static let columns = "event_id, rule, person, team_path, proposal_id, reference, due_at, recorded_at, detail"

    /// Records `violation` under `eventID` unless that miss was recorded before; true when
    /// this call recorded it (then, and only then, the event goes to settlements).
    func insert(_ violation: ViolationRecord, eventID: String, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO violations (event_id, rule, person, team_path, proposal_id, reference, due_at, recorded_at, detail)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (rule, person, reference) DO NOTHING
            """, [.text(eventID), .text(violation.rule.rawValue), .text(violation.person), .text(violation.teamPath),
                  .text(violation.proposalID), .text(violation.reference), .timestampMillis(violation.dueAtMillis),
                  .timestampMillis(violation.recordedAtMillis), .text(violation.detail)]) == 1
    }

    static func record(_ row: PostgresRow) throws -> ViolationRecord {
        ViolationRecord(rule: ViolationRule(rawValue: try row.decode(String.self, column: "rule")) ?? .decision,
                        person: try row.decode(String.self, column: "person"),
                        teamPath: try row.decode(String.self, column: "team_path"),
                        proposalID: try row.decode(String.self, column: "proposal_id"),
                        reference: try row.decode(String.self, column: "reference"),
                        dueAtMillis: try row.decode(Int64.self, column: "due_at"),
                        recordedAtMillis: try row.decode(Int64.self, column: "recorded_at"),
                        detail: try row.decode(String.self, column: "detail"))
    }
}
