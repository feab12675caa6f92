import DomainKit
import Messages
import Postgres
import ServiceKit

/// The people of the organisation as this service knows them: the gateway owns accounts and
/// feeds every change (`SetDirectoryEntry`, through its outbox, at least once, in any order);
/// this keeps the newest entry per account in the platform table `xsc_directory`. A service
/// asks it who is on a team, who someone's superiors are, and a person's name, without a call
/// to the gateway on its request path (a peer that is down must not fail a request).
public struct AccountDirectory: Sendable {
    let pool: PostgresPool
    let clock: WallClock

    public init(pool: PostgresPool, clock: @escaping WallClock = SystemWallClock.now) {
        self.pool = pool
        self.clock = clock
    }

    /// Stores `entry` unless the stored one is as new or newer; true when it changed anything.
    public func apply(_ entry: Xsc_Common_V1_DirectoryEntry) async throws -> Bool {
        let rows = try await pool.query("""
            INSERT INTO xsc_directory (account_id, name, domain_role, node_path, enabled, version, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, domain_role = EXCLUDED.domain_role,
                node_path = EXCLUDED.node_path, enabled = EXCLUDED.enabled, version = EXCLUDED.version,
                updated_at = EXCLUDED.updated_at
            WHERE xsc_directory.version < EXCLUDED.version
            RETURNING 1
            """, [.text(entry.accountId), .text(entry.name), .text(entry.domainRole), .text(entry.nodePath),
                  .bool(entry.enabled), .int64(entry.version), .timestampMillis(clock())])
        return !rows.isEmpty
    }

    /// The account, enabled or not; nil when the feed has not brought it (yet).
    public func account(_ id: String) async throws -> DirectoryAccount? {
        try await pool.query("SELECT \(Self.columns) FROM xsc_directory WHERE account_id = $1", [.text(id)])
            .first.map(Self.decode)
    }

    /// Several accounts at once (missing ids are left out).
    public func accounts(ids: [String]) async throws -> [DirectoryAccount] {
        guard !ids.isEmpty else { return [] }
        return try await pool.query("SELECT \(Self.columns) FROM xsc_directory WHERE account_id = ANY($1::text[]) ORDER BY account_id",
                                    [.textArray(ids)]).map(Self.decode)
    }

    /// The enabled accounts hanging exactly on `path`: the members of a team.
    public func accounts(onNode path: String) async throws -> [DirectoryAccount] {
        try await accounts(onNodes: [path])
    }

    /// The enabled accounts hanging exactly on any of `paths`.
    public func accounts(onNodes paths: [String]) async throws -> [DirectoryAccount] {
        guard !paths.isEmpty else { return [] }
        return try await pool.query("""
            SELECT \(Self.columns) FROM xsc_directory WHERE node_path = ANY($1::text[]) AND enabled ORDER BY account_id
            """, [.textArray(paths)]).map(Self.decode)
    }

    /// The superiors of `accountID` by DomainKit's `Superiors` rule, nearest level first (a
    /// level may hold several people, e.g. two office leads). Empty when the account is unknown.
    public func superiors(of accountID: String) async throws -> [[DirectoryAccount]] {
        guard let person = try await account(accountID) else { return [] }
        let candidates = try await accounts(onNodes: OrgPath.ancestors(of: person.nodePath))
        return Superiors.chain(above: person, candidates: candidates)
    }

    static let columns = "account_id, name, domain_role, node_path, enabled"

    static func decode(_ row: PostgresRow) throws -> DirectoryAccount {
        DirectoryAccount(id: try row.decode(String.self, column: "account_id"), name: try row.decode(String.self, column: "name"),
                         role: DomainRole(rawValue: try row.decode(String.self, column: "domain_role")),
                         nodePath: try row.decode(String.self, column: "node_path"),
                         enabled: try row.decode(Bool.self, column: "enabled"))
    }
}
