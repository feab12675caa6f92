import Postgres

/// Referral codes and referrals seen before their customer (`referral_codes`, `unclaimed_referrals`).
struct ReferralStore: Sendable {
    static let codeConstraint = "referral_codes_pkey"

    func code(of account: String, pool: PostgresPool) async throws -> String? {
        try await pool.query("SELECT code FROM referral_codes WHERE account_id = $1", [.text(account)]).first?.decode(String.self, column: "code")
    }

    /// Stores `code` for `account` unless it has one; returns the account's code. A code taken
    /// by another account fails with a unique violation on `referral_codes_pkey`.
    func issue(_ code: String, to account: String, at: Int64, pool: PostgresPool) async throws -> String {
        try await pool.transaction { tx in
            _ = try await tx.execute("""
                INSERT INTO referral_codes (code, account_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING
                """, [.text(code), .text(account), .timestampMillis(at)])
            return try await tx.query("SELECT code FROM referral_codes WHERE account_id = $1", [.text(account)])[0]
                .decode(String.self, column: "code")
        }
    }

    func account(ofCode code: String, pool: PostgresPool) async throws -> String? {
        try await pool.query("SELECT account_id FROM referral_codes WHERE code = $1", [.text(code)]).first?.decode(String.self, column: "account_id")
    }

    func account(ofCode code: String, in tx: PostgresTransaction) async throws -> String? {
        try await tx.query("SELECT account_id FROM referral_codes WHERE code = $1", [.text(code)]).first?.decode(String.self, column: "account_id")
    }

    /// Keeps the first referral (by the order's time) of a phone nobody has as a customer yet.
    func rememberUnclaimed(phone: String, intermediary: String, orderID: String, at: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            INSERT INTO unclaimed_referrals (phone, intermediary_account_id, order_id, seen_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (phone) DO UPDATE SET intermediary_account_id = EXCLUDED.intermediary_account_id,
                order_id = EXCLUDED.order_id, seen_at = EXCLUDED.seen_at
            WHERE unclaimed_referrals.seen_at > EXCLUDED.seen_at
            """, [.text(phone), .text(intermediary), .text(orderID), .timestampMillis(at)])
    }

    struct Referral: Sendable, Equatable {
        var intermediary: String
        var orderID: String
        var atMillis: Int64
    }

    /// The earliest unclaimed referral of any of `phones`, removed (a customer now holds it).
    func claim(phones: [String], in tx: PostgresTransaction) async throws -> Referral? {
        try earliest(from: try await tx.run([claimStatement(phones: phones)])[0])
    }

    func claimStatement(phones: [String]) -> PostgresStatement {
        PostgresStatement("""
            DELETE FROM unclaimed_referrals WHERE phone = ANY(string_to_array($1, E'\\x1f'))
            RETURNING intermediary_account_id, order_id, seen_at
            """, [.text(phones.joined(separator: CustomerRecord.separator))])
    }

    /// The earliest referral the claim statement removed.
    func earliest(from rows: PostgresRows) throws -> Referral? {
        try rows.map { Referral(intermediary: try $0.decode(column: "intermediary_account_id"), orderID: try $0.decode(column: "order_id"),
                                       atMillis: try $0.decode(column: "seen_at")) }
            .min { $0.atMillis < $1.atMillis }
    }

    func unclaimed(phone: String, pool: PostgresPool) async throws -> Referral? {
        try await pool.query("SELECT intermediary_account_id, order_id, seen_at FROM unclaimed_referrals WHERE phone = $1", [.text(phone)])
            .first.map { Referral(intermediary: try $0.decode(column: "intermediary_account_id"), orderID: try $0.decode(column: "order_id"),
                                  atMillis: try $0.decode(column: "seen_at")) }
    }
}
