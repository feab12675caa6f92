import Postgres

/// The first schedule of the Monday close and quarterly reimbursement timers. Unlike `Timers.schedule` (which re-schedules),
/// this leaves an existing timer alone, so every replica can run it at start.
struct WeeklyTimerStore: Sendable {
    func ensure(kind: String, subjectID: String, dueAtMillis: Int64, at now: Int64, pool: PostgresPool) async throws {
        _ = try await pool.execute("""
            INSERT INTO xsc_timers (kind, subject_id, due_at, fire_at, payload, scheduled_at) VALUES ($1, $2, $3, $3, $4, $5)
            ON CONFLICT (kind, subject_id) DO NOTHING
            """, [.text(kind), .text(subjectID), .timestampMillis(dueAtMillis), .bytea([]), .timestampMillis(now)])
    }
}
