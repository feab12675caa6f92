import Postgres

/// `recruiters` (level 2 of two-level distribution) and its audit trail.
struct RecruiterStore: Sendable {
    func recruiter(of intermediary: String, in tx: PostgresTransaction) async throws -> String? {
        try await tx.query("SELECT recruiter_account_id FROM recruiters WHERE intermediary_account_id = $1",
                           [.text(intermediary)]).first?.decode(String.self, column: "recruiter_account_id")
    }

    /// Sets (or with an empty recruiter removes) the relation and appends the change to the audit.
    func set(intermediary: String, recruiter: String, by account: String, role: String, at now: Int64,
             in tx: PostgresTransaction) async throws {
        let old = try await tx.query("""
            SELECT recruiter_account_id FROM recruiters WHERE intermediary_account_id = $1 FOR UPDATE
            """, [.text(intermediary)]).first?.decode(String.self, column: "recruiter_account_id") ?? ""
        let change: PostgresStatement = recruiter.isEmpty
            ? PostgresStatement("DELETE FROM recruiters WHERE intermediary_account_id = $1", [.text(intermediary)])
            : PostgresStatement("""
                INSERT INTO recruiters (intermediary_account_id, recruiter_account_id, set_by, set_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (intermediary_account_id) DO UPDATE SET recruiter_account_id = EXCLUDED.recruiter_account_id,
                    set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
                """, [.text(intermediary), .text(recruiter), .text(account), .timestampMillis(now)])
        _ = try await tx.run([change, PostgresStatement("""
            INSERT INTO recruiter_audit (intermediary_account_id, old_recruiter_account_id, new_recruiter_account_id,
                set_by, set_by_role, set_at) VALUES ($1, $2, $3, $4, $5, $6)
            """, [.text(intermediary), .text(old), .text(recruiter), .text(account), .text(role), .timestampMillis(now)])])
    }
}
