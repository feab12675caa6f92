import DomainKit
import Postgres
import ServiceKit

/// phone <-> account, for addressing a Send that names only an account and for reading an
/// inbound reply as a person's command. Two sources: the gateway's directory (`contacts`, fed
/// by SetContact), which is authoritative for every phone and account it names, and the pairs
/// earlier Sends named (`account_phones`), which answer only where the directory is silent.
public struct PhoneDirectory: Sendable {
    /// Where an account's SMS go.
    public enum Recipient: Sendable, Equatable {
        case phone(MainlandPhone)
        /// The gateway disabled the account: its messages are recorded, never sent.
        case disabled(MainlandPhone)
        case unknown
    }

    /// One directory entry, as SetContact carries it.
    public struct Contact: Sendable, Equatable {
        public var accountID: String
        /// nil: the gateway forgot the account's phone.
        public var phone: MainlandPhone?
        public var enabled: Bool
        public var version: Int64

        public init(accountID: String, phone: MainlandPhone?, enabled: Bool, version: Int64) {
            self.accountID = accountID
            self.phone = phone
            self.enabled = enabled
            self.version = version
        }
    }

    let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    /// Stores the entry unless one of this version or newer is there; true when it changed
    /// something (a redelivered or overtaken entry is a no-op).
    public func apply(_ contact: Contact, pool: PostgresPool) async throws -> Bool {
        let rows = try await pool.query("""
            INSERT INTO contacts AS c (account_id, phone, enabled, version, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (account_id) DO UPDATE
              SET phone = EXCLUDED.phone, enabled = EXCLUDED.enabled, version = EXCLUDED.version,
                  updated_at = EXCLUDED.updated_at
              WHERE c.version < EXCLUDED.version
            RETURNING 1
            """, [.text(contact.accountID), contact.phone.map { .text($0.digits) } ?? .null, .bool(contact.enabled),
                  .int64(contact.version), .timestampMillis(clock())])
        return !rows.isEmpty
    }

    /// Learns the pair a Send named (the newest claim on a phone wins: numbers get reassigned).
    public func remember(in tx: PostgresTransaction, phone: MainlandPhone, accountID: String) async throws {
        try await tx.execute("""
            INSERT INTO account_phones (phone, account_id, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (phone) DO UPDATE SET account_id = EXCLUDED.account_id, updated_at = EXCLUDED.updated_at
            WHERE account_phones.account_id <> EXCLUDED.account_id
            """, [.text(phone.digits), .text(accountID), .timestampMillis(clock())])
    }

    /// The account replying from `phone`: the directory's newest entry naming the phone (nil
    /// when that account is disabled), else a learned pair of an account the directory does
    /// not know.
    public func account(in tx: PostgresTransaction, phone: MainlandPhone) async throws -> String? {
        let rows = try await tx.query("""
            SELECT account_id, enabled FROM (
                SELECT account_id, enabled, 0 AS source, version FROM contacts WHERE phone = $1
                UNION ALL
                SELECT p.account_id, true, 1, 0 FROM account_phones p
                WHERE p.phone = $1 AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = p.account_id)
            ) AS claims
            ORDER BY source, version DESC LIMIT 1
            """, [.text(phone.digits)])
        guard let row = rows.first, try row.decode(Bool.self, at: 1) else { return nil }
        return try row.decode(String.self, at: 0)
    }

    /// Where the account's SMS go: the directory's entry when it has one, else the phone a
    /// Send last named with the account.
    public func recipient(pool: PostgresPool, accountID: String) async throws -> Recipient {
        if let row = try await pool.query("SELECT phone, enabled FROM contacts WHERE account_id = $1", [.text(accountID)]).first {
            guard let phone = try row.decode(String?.self, at: 0).flatMap(MainlandPhone.init(mobile:)) else { return .unknown }
            return try row.decode(Bool.self, at: 1) ? .phone(phone) : .disabled(phone)
        }
        let learned = try await pool.query("""
            SELECT phone FROM account_phones WHERE account_id = $1 ORDER BY updated_at DESC LIMIT 1
            """, [.text(accountID)]).first?.decode(String.self, at: 0)
        return learned.flatMap(MainlandPhone.init(mobile:)).map(Recipient.phone) ?? .unknown
    }
}
