import Postgres

/// Teams' deadlines; a team without a row has the defaults.
struct SettingsStore: Sendable {
    func deadlines(team: String, in tx: PostgresTransaction) async throws -> TeamDeadlines {
        guard let row = try await tx.query("""
            SELECT decision_window_seconds, report_grace_seconds, review_window_seconds, reminder_lead_seconds
            FROM team_settings WHERE team_path = $1
            """, [.text(team)]).first else { return .defaults }
        var deadlines = TeamDeadlines()
        deadlines.decisionWindow = try row.decode(Int32.self, column: "decision_window_seconds")
        deadlines.reportGrace = try row.decode(Int32.self, column: "report_grace_seconds")
        deadlines.reviewWindow = try row.decode(Int32.self, column: "review_window_seconds")
        deadlines.reminderLead = try row.decode(Int32.self, column: "reminder_lead_seconds")
        return deadlines
    }

    func save(_ deadlines: TeamDeadlines, team: String, by account: String, at now: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO team_settings (team_path, decision_window_seconds, report_grace_seconds, review_window_seconds,
                                       reminder_lead_seconds, updated_by, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (team_path) DO UPDATE SET decision_window_seconds = EXCLUDED.decision_window_seconds,
                report_grace_seconds = EXCLUDED.report_grace_seconds, review_window_seconds = EXCLUDED.review_window_seconds,
                reminder_lead_seconds = EXCLUDED.reminder_lead_seconds, updated_by = EXCLUDED.updated_by,
                updated_at = EXCLUDED.updated_at
            """, [.text(team), .int32(deadlines.decisionWindow), .int32(deadlines.reportGrace), .int32(deadlines.reviewWindow),
                  .int32(deadlines.reminderLead), .text(account), .timestampMillis(now)])
    }
}
