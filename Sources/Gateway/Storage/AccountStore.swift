import Foundation
import Messages
import Postgres

/// Accounts in `gateway.accounts`. Password hashes never leave this type. Every change of an
/// account's phone or enabled flag takes a new contact version and queues the account's
/// directory entry for notifications (`DirectoryFeed`) in the same transaction.
public struct AccountStore: Sendable {
    let pool: PostgresPool
    let feed: DirectoryFeed

    public init(pool: PostgresPool, feed: DirectoryFeed = DirectoryFeed()) {
        self.pool = pool
        self.feed = feed
    }

    static let columns = "id, name, phone, role, node_path, enabled, (extract(epoch from created_at) * 1000)::bigint"

    /// Inserts an account; nil when the phone is taken.
    public func insert(name: String, phone: String, role: StaffRole, nodePath: String,
                       passwordHash: String) async throws -> Xsc_Gateway_V1_Account? {
        try await pool.transaction { transaction in
            try await insert(name: name, phone: phone, role: role, nodePath: nodePath, passwordHash: passwordHash, in: transaction)
        }
    }

    public func insert(name: String, phone: String, role: StaffRole, nodePath: String, passwordHash: String,
                       in transaction: PostgresTransaction) async throws -> Xsc_Gateway_V1_Account? {
        let rows = try await transaction.query("""
            INSERT INTO accounts (id, name, phone, role, node_path, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (phone) DO NOTHING RETURNING \(Self.columns)
            """, [.text(UUID().uuidString.lowercased()), .text(name), .text(phone), .text(role.rawValue),
                  .text(nodePath), .text(passwordHash)])
        guard let account = try rows.first.map(Self.account) else { return nil }
        try await feed.publish(accountID: account.id, in: transaction)
        return account
    }

    public func account(id: String) async throws -> Xsc_Gateway_V1_Account? {
        let rows = try await pool.query("SELECT \(Self.columns) FROM accounts WHERE id = $1", [.text(id)])
        return try rows.first.map(Self.account)
    }

    /// Accounts at or below `under`, ordered by id, after `cursor` (an id).
    public func list(under: String, after cursor: String, limit: Int) async throws -> [Xsc_Gateway_V1_Account] {
        let rows = try await pool.query("""
            SELECT \(Self.columns) FROM accounts
            WHERE (node_path = $1 OR node_path LIKE $1 || '/%') AND id > $2 ORDER BY id LIMIT $3
            """, [.text(under), .text(cursor), .int(limit)])
        return try rows.map(Self.account)
    }

    public func count() async throws -> Int64 {
        try await pool.query("SELECT count(*) FROM accounts")[0].decode(Int64.self, at: 0)
    }

    /// Disables the account and ends its sessions in one transaction.
    public func disable(id: String) async throws -> Xsc_Gateway_V1_Account? {
        try await pool.transaction { transaction in
            _ = try await transaction.execute("UPDATE sessions SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL",
                                              [.text(id)])
            return try await setEnabled(id: id, false, in: transaction)
        }
    }

    /// Lets a disabled account log in again.
    public func enable(id: String) async throws -> Xsc_Gateway_V1_Account? {
        try await pool.transaction { transaction in try await setEnabled(id: id, true, in: transaction) }
    }

    public enum PhoneChange: Sendable {
        case changed(Xsc_Gateway_V1_Account)
        case taken
        case missing
    }

    /// Gives the account a new phone (a change takes a new contact version and is published).
    public func changePhone(id: String, to phone: String) async throws -> PhoneChange {
        do {
            return try await pool.transaction { transaction in
                _ = try await transaction.execute("""
                    UPDATE accounts SET phone = $2, contact_version = nextval('contact_versions') WHERE id = $1 AND phone <> $2
                    """, [.text(id), .text(phone)])
                try await feed.publish(accountID: id, in: transaction)
                let rows = try await transaction.query("SELECT \(Self.columns) FROM accounts WHERE id = $1", [.text(id)])
                return try rows.first.map { .changed(try Self.account($0)) } ?? .missing
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            return .taken
        }
    }

    /// Sets the enabled flag (a change takes a new contact version and is published); the
    /// account as it is now, nil when there is none.
    func setEnabled(id: String, _ enabled: Bool, in transaction: PostgresTransaction) async throws -> Xsc_Gateway_V1_Account? {
        _ = try await transaction.execute("""
            UPDATE accounts SET enabled = $2, contact_version = nextval('contact_versions') WHERE id = $1 AND enabled <> $2
            """, [.text(id), .bool(enabled)])
        try await feed.publish(accountID: id, in: transaction)
        let rows = try await transaction.query("SELECT \(Self.columns) FROM accounts WHERE id = $1", [.text(id)])
        return try rows.first.map(Self.account)
    }

    /// (account id, password hash, enabled) of the phone's account.
    public func credentials(phone: String) async throws -> (id: String, hash: String, enabled: Bool)? {
        let rows = try await pool.query("SELECT id, password_hash, enabled FROM accounts WHERE phone = $1", [.text(phone)])
        guard let row = rows.first else { return nil }
        return (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), try row.decode(Bool.self, at: 2))
    }

    public func passwordHash(id: String) async throws -> String? {
        let rows = try await pool.query("SELECT password_hash FROM accounts WHERE id = $1 AND enabled", [.text(id)])
        return try rows.first?.decode(String.self, at: 0)
    }

    public func setPasswordHash(id: String, hash: String) async throws {
        _ = try await pool.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", [.text(id), .text(hash)])
    }

    static func account(_ row: PostgresRow) throws -> Xsc_Gateway_V1_Account {
        var account = Xsc_Gateway_V1_Account()
        account.id = try row.decode(String.self, at: 0)
        account.name = try row.decode(String.self, at: 1)
        account.phone = try row.decode(String.self, at: 2)
        account.role = StaffRole(rawValue: try row.decode(String.self, at: 3))?.api ?? .unspecified
        account.nodePath = try row.decode(String.self, at: 4)
        account.enabled = try row.decode(Bool.self, at: 5)
        account.createdAtMs = try row.decode(Int64.self, at: 6)
        return account
    }
}
