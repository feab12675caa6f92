import Postgres
import ServiceKit

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
            """, [.bytea(tokenSHA256), .text(accountID), .int64(ttl.wholeMilliseconds)])
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

    public struct Listed: Sendable, Equatable {
        public var id: String
        public var createdAtMs: Int64
        public var expiresAtMs: Int64
        public var tokenSHA256: [UInt8]
    }

    /// The account's live sessions, newest first (capped: a session per login, 8 h each).
    public func live(accountID: String) async throws -> [Listed] {
        let rows = try await pool.query("""
            SELECT id, (extract(epoch from created_at) * 1000)::bigint, (extract(epoch from expires_at) * 1000)::bigint,
                   token_sha256
            FROM sessions WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now()
            ORDER BY created_at DESC LIMIT 200
            """, [.text(accountID)])
        return try rows.map {
            Listed(id: try $0.decode(String.self, at: 0), createdAtMs: try $0.decode(Int64.self, at: 1),
                   expiresAtMs: try $0.decode(Int64.self, at: 2), tokenSHA256: try $0.decode([UInt8].self, at: 3))
        }
    }

    /// Ends the account's session `id`; the token hash of the session it ended, nil when the
    /// account has no such live session.
    public func revoke(accountID: String, sessionID: String) async throws -> [UInt8]? {
        let rows = try await pool.query("""
            UPDATE sessions SET revoked_at = now()
            WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL AND expires_at > now() RETURNING token_sha256
            """, [.text(sessionID), .text(accountID)])
        return try rows.first?.decode([UInt8].self, at: 0)
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
