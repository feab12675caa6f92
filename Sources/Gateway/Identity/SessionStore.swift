import Postgres

/// Staff sessions (`gateway.sessions`, keyed by the token's SHA-256) and the per-phone login
/// throttle (`gateway.login_throttle`).
public struct SessionStore: Sendable {
    /// Failures allowed before the lockout window starts; each further failure doubles it.
    public static let freeFailures = 5
    public static let maxLockSeconds = 900

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    public func create(tokenSHA256: [UInt8], accountID: String, ttl: Duration) async throws -> Int64 {
        let rows = try await pool.query("""
            INSERT INTO sessions (token_sha256, account_id, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
            RETURNING (extract(epoch from expires_at) * 1000)::bigint
            """, [.bytea(tokenSHA256), .text(accountID), .int64(ttl.wholeMillisecondsValue)])
        return try rows[0].decode(Int64.self, at: 0)
    }

    /// The live session of a token hash: not expired, not revoked, account enabled.
    public func live(tokenSHA256: [UInt8]) async throws -> StaffSession? {
        let rows = try await pool.query("""
            SELECT a.id, a.role, a.node_path, (extract(epoch from s.expires_at) * 1000)::bigint
            FROM sessions s JOIN accounts a ON a.id = s.account_id
            WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND a.enabled
            """, [.bytea(tokenSHA256)])
        guard let row = rows.first, let role = StaffRole(rawValue: try row.decode(String.self, at: 1)) else { return nil }
        return StaffSession(accountID: try row.decode(String.self, at: 0), role: role,
                            nodePath: try row.decode(String.self, at: 2), tokenSHA256: tokenSHA256,
                            expiresAtMs: try row.decode(Int64.self, at: 3))
    }

    public func revoke(tokenSHA256: [UInt8]) async throws {
        _ = try await pool.execute("UPDATE sessions SET revoked_at = now() WHERE token_sha256 = $1 AND revoked_at IS NULL",
                                   [.bytea(tokenSHA256)])
    }

    /// Ends every other session of the account (after a password change).
    public func revokeOthers(accountID: String, keeping tokenSHA256: [UInt8]) async throws {
        _ = try await pool.execute("""
            UPDATE sessions SET revoked_at = now()
            WHERE account_id = $1 AND token_sha256 <> $2 AND revoked_at IS NULL
            """, [.text(accountID), .bytea(tokenSHA256)])
    }

    /// True while the phone is locked out after repeated failures.
    public func isLocked(phone: String) async throws -> Bool {
        let rows = try await pool.query("SELECT locked_until > now() FROM login_throttle WHERE phone = $1", [.text(phone)])
        return try rows.first?.decode(Bool?.self, at: 0) ?? false
    }

    /// Counts a failure; from the allowance on, locks the phone for 1 s × 2^(excess), capped.
    public func recordFailure(phone: String) async throws {
        _ = try await pool.execute("""
            INSERT INTO login_throttle AS t (phone, failures) VALUES ($1, 1)
            ON CONFLICT (phone) DO UPDATE SET failures = t.failures + 1, updated_at = now(),
              locked_until = CASE WHEN t.failures + 1 >= $2
                THEN now() + make_interval(secs => least($3, power(2, t.failures + 1 - $2)))
                ELSE t.locked_until END
            """, [.text(phone), .int(Self.freeFailures), .int(Self.maxLockSeconds)])
    }

    public func clearFailures(phone: String) async throws {
        _ = try await pool.execute("DELETE FROM login_throttle WHERE phone = $1", [.text(phone)])
    }
}

extension Duration {
    var wholeMillisecondsValue: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
