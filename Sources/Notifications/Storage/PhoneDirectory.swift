import Postgres
import ServiceKit

/// phone -> account, for reading inbound replies as a person's commands. Send fills it when
/// it knows both; the newest claim on a phone wins (numbers get reassigned).
public struct PhoneDirectory: Sendable {
    let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    public func remember(in tx: PostgresTransaction, phone: PhoneNumber, accountID: String) async throws {
        try await tx.execute("""
            INSERT INTO account_phones (phone, account_id, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (phone) DO UPDATE SET account_id = EXCLUDED.account_id, updated_at = EXCLUDED.updated_at
            WHERE account_phones.account_id <> EXCLUDED.account_id
            """, [.text(phone.digits), .text(accountID), .timestampMillis(clock())])
    }

    public func account(pool: PostgresPool, phone: PhoneNumber) async throws -> String? {
        try await pool.query("SELECT account_id FROM account_phones WHERE phone = $1", [.text(phone.digits)])
            .first?.decode(String.self, at: 0)
    }

    /// The account's most recently known phone.
    public func phone(pool: PostgresPool, accountID: String) async throws -> PhoneNumber? {
        let text = try await pool.query("""
            SELECT phone FROM account_phones WHERE account_id = $1 ORDER BY updated_at DESC LIMIT 1
            """, [.text(accountID)]).first?.decode(String.self, at: 0)
        return text.flatMap(PhoneNumber.init)
    }
}
