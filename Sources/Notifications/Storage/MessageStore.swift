import Foundation
import Postgres
import ServiceKit

/// The `messages` table: insert, inbox reads, receipts, usage. Delivery claims live in
/// `DeliveryQueue`. Every statement is parameterised.
public struct MessageStore: Sendable {
    let clock: WallClock

    public init(clock: @escaping WallClock = SystemWallClock.now) {
        self.clock = clock
    }

    public static func makeID() -> String { UUID().uuidString.lowercased() }

    /// Inserts a queued message, due now (or a failed one, for a refused recipient), and
    /// remembers the phone's account when both are known.
    @discardableResult
    public func insert(in tx: PostgresTransaction, _ message: NewMessage) async throws -> StoredMessage {
        let now = clock()
        let rows = try await tx.query("""
            INSERT INTO messages (id, idempotency_key, recipient_account_id, phone, template, body, category,
                                  region_code, segments, encoding, next_attempt_at, subject_kind, subject_id,
                                  subject_code, created_at, state, failure_reason, vendor_template_code, sign_name,
                                  template_params)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $11,
                    CASE WHEN $15::text IS NULL THEN 'queued' ELSE 'failed' END, $15, $16, $17, $18)
            RETURNING \(StoredMessage.columns)
            """, [.text(message.id), .text(message.idempotencyKey), message.recipientAccountID.map { .text($0) } ?? .null,
                  .text(message.phone.digits), .text(message.template), .text(message.body),
                  .text(message.category.rawValue), .text(message.regionCode), .int(message.segments.segments),
                  .text(message.segments.encoding.rawValue), .timestampMillis(now), .text(message.subjectKind),
                  .text(message.subjectID), .text(message.subjectCode), message.refusal.map { .text($0) } ?? .null,
                  .text(message.vendorTemplateCode), .text(message.signName),
                  .text(VendorParams.encode(message.templateParams))])
        if let account = message.recipientAccountID, message.refusal == nil {
            try await PhoneDirectory(clock: clock).remember(in: tx, phone: message.phone, accountID: account)
        }
        return try StoredMessage.decode(rows[0])
    }

    public func message(pool: PostgresPool, id: String) async throws -> StoredMessage? {
        let rows = try await pool.query("SELECT \(StoredMessage.columns) FROM messages WHERE id = $1", [.text(id)])
        return try rows.first.map(StoredMessage.decode)
    }

    public func message(pool: PostgresPool, idempotencyKey: String) async throws -> StoredMessage? {
        let rows = try await pool.query("SELECT \(StoredMessage.columns) FROM messages WHERE idempotency_key = $1",
                                        [.text(idempotencyKey)])
        return try rows.first.map(StoredMessage.decode)
    }

    /// One page of an account's inbox, newest first; `before` is the inbox sequence to start below.
    public func inbox(pool: PostgresPool, accountID: String, before: Int64?, limit: Int,
                      unreadOnly: Bool) async throws -> [StoredMessage] {
        let rows = try await pool.query("""
            SELECT \(StoredMessage.columns) FROM messages
            WHERE recipient_account_id = $1 AND inbox_seq < $2 AND (NOT $3 OR read_at IS NULL)
            ORDER BY inbox_seq DESC LIMIT $4
            """, [.text(accountID), .int64(before ?? Int64.max), .bool(unreadOnly), .int(limit)])
        return try rows.map(StoredMessage.decode)
    }

    public func unreadCount(pool: PostgresPool, accountID: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM messages WHERE recipient_account_id = $1 AND read_at IS NULL",
                             [.text(accountID)])[0].decode(Int.self, at: 0)
    }

    /// Inbox messages after `sequence`, oldest first (WatchInbox).
    public func inbox(pool: PostgresPool, accountID: String, after sequence: Int64, limit: Int) async throws -> [StoredMessage] {
        let rows = try await pool.query("""
            SELECT \(StoredMessage.columns) FROM messages
            WHERE recipient_account_id = $1 AND inbox_seq > $2 ORDER BY inbox_seq LIMIT $3
            """, [.text(accountID), .int64(sequence), .int(limit)])
        return try rows.map(StoredMessage.decode)
    }

    /// The newest inbox sequence of the whole table (a watch that starts "from now").
    public func latestSequence(pool: PostgresPool) async throws -> Int64 {
        try await pool.query("SELECT coalesce(max(inbox_seq), 0) FROM messages")[0].decode(Int64.self, at: 0)
    }

    /// Marks the account's own messages read; ids of others' messages are silently ignored
    /// (never reveal that they exist). Returns how many changed.
    public func markRead(pool: PostgresPool, accountID: String, ids: [String]) async throws -> Int {
        var total = 0
        for id in ids {
            total += try await pool.execute("""
                UPDATE messages SET read_at = $3 WHERE id = $1 AND recipient_account_id = $2 AND read_at IS NULL
                """, [.text(id), .text(accountID), .timestampMillis(clock())])
        }
        return total
    }

    public enum Receipt: Sendable {
        case delivered
        case failed(reason: String)
    }

    /// Applies a provider receipt. Only a `sent` message moves (a late or repeated receipt for
    /// a final message changes nothing). Nil when the provider id is unknown.
    public func applyReceipt(pool: PostgresPool, providerMessageID: String, _ receipt: Receipt,
                             atMillis: Int64) async throws -> StoredMessage? {
        switch receipt {
        case .delivered:
            try await pool.execute("""
                UPDATE messages SET state = 'delivered', delivered_at = $2
                WHERE provider_message_id = $1 AND state = 'sent'
                """, [.text(providerMessageID), .timestampMillis(atMillis)])
        case .failed(let reason):
            // In the transaction of the change: an order prompt that never arrived is reported
            // to orders (the miss that followed is voided, the next person prompted at once).
            try await pool.transaction { tx in
                let failed = try await tx.query("""
                    UPDATE messages SET state = 'failed', failure_reason = $2
                    WHERE provider_message_id = $1 AND state = 'sent'
                    RETURNING id, recipient_account_id, subject_kind, subject_id
                    """, [.text(providerMessageID), .text("receipt: " + reason)])
                guard let row = failed.first else { return }
                try await UndeliveredPrompts(clock: clock).report(
                    messageID: try row.decode(String.self, column: "id"),
                    account: try row.decode(String?.self, column: "recipient_account_id"),
                    subjectKind: try row.decode(String.self, column: "subject_kind"),
                    orderID: try row.decode(String.self, column: "subject_id"), reason: reason, at: atMillis, in: tx)
            }
        }
        let rows = try await pool.query("SELECT \(StoredMessage.columns) FROM messages WHERE provider_message_id = $1",
                                        [.text(providerMessageID)])
        return try rows.first.map(StoredMessage.decode)
    }

    public struct UsageRow: Sendable, Equatable {
        public var regionCode: String
        public var month: String
        public var messages: Int
        public var segments: Int
    }

    /// Segments handed to the provider, per region and month of sending in `timeZone`
    /// (what the region is billed for). Months are "YYYY-MM"; empty bounds are open.
    public func usage(pool: PostgresPool, regionCode: String, fromMonth: String, toMonth: String,
                      timeZone: String) async throws -> [UsageRow] {
        let rows = try await pool.query("""
            SELECT region_code, month, count(*), sum(segments) FROM (
                SELECT region_code, segments, to_char(sent_at AT TIME ZONE $4, 'YYYY-MM') AS month
                FROM messages WHERE sent_at IS NOT NULL AND ($1 = '' OR region_code = $1)) AS sent
            WHERE ($2 = '' OR month >= $2) AND ($3 = '' OR month <= $3)
            GROUP BY 1, 2
            ORDER BY 1, 2
            """, [.text(regionCode), .text(fromMonth), .text(toMonth), .text(timeZone)])
        return try rows.map {
            UsageRow(regionCode: try $0.decode(String.self, at: 0), month: try $0.decode(String.self, at: 1),
                     messages: try $0.decode(Int.self, at: 2), segments: try $0.decode(Int.self, at: 3))
        }
    }
}
