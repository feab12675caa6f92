import DomainKit
import Postgres

/// A message row as the domain sees it (the handlers map it to `Xsc_Notifications_V1_Message`).
public struct StoredMessage: Sendable, Equatable {
    public enum Category: String, Sendable {
        case staffSLA = "staff_sla", customer
    }

    public enum State: String, Sendable {
        case queued, sent, delivered, failed
    }

    public var id: String
    public var idempotencyKey: String
    public var recipientAccountID: String?
    public var phone: MainlandPhone
    public var template: String
    public var body: String
    public var category: Category
    public var regionCode: String
    public var segments: Int
    public var state: State
    public var attempts: Int
    public var nextAttemptAtMillis: Int64
    public var sentAtMillis: Int64?
    public var deliveredAtMillis: Int64?
    public var failureReason: String?
    public var providerMessageID: String?
    public var subjectKind: String
    public var subjectID: String
    public var subjectCode: String
    public var readAtMillis: Int64?
    public var createdAtMillis: Int64
    public var inboxSequence: Int64

    static let columns = """
        id, idempotency_key, recipient_account_id, phone, template, body, category, region_code, segments,
        state, attempts, next_attempt_at, sent_at, delivered_at, failure_reason, provider_message_id,
        subject_kind, subject_id, subject_code, read_at, created_at, inbox_seq
        """

    static func decode(_ row: PostgresRow) throws -> StoredMessage {
        let phoneText = try row.decode(String.self, at: 3)
        guard let phone = MainlandPhone(mobile: phoneText) else {
            throw PostgresError(.usage, "messages.phone holds an invalid number")
        }
        return StoredMessage(
            id: try row.decode(String.self, at: 0),
            idempotencyKey: try row.decode(String.self, at: 1),
            recipientAccountID: try row.decode(String?.self, at: 2),
            phone: phone,
            template: try row.decode(String.self, at: 4),
            body: try row.decode(String.self, at: 5),
            category: Category(rawValue: try row.decode(String.self, at: 6)) ?? .staffSLA,
            regionCode: try row.decode(String.self, at: 7),
            segments: try row.decode(Int.self, at: 8),
            state: State(rawValue: try row.decode(String.self, at: 9)) ?? .queued,
            attempts: try row.decode(Int.self, at: 10),
            nextAttemptAtMillis: try row.decode(Int64.self, at: 11),
            sentAtMillis: try row.decode(Int64?.self, at: 12),
            deliveredAtMillis: try row.decode(Int64?.self, at: 13),
            failureReason: try row.decode(String?.self, at: 14),
            providerMessageID: try row.decode(String?.self, at: 15),
            subjectKind: try row.decode(String.self, at: 16),
            subjectID: try row.decode(String.self, at: 17),
            subjectCode: try row.decode(String.self, at: 18),
            readAtMillis: try row.decode(Int64?.self, at: 19),
            createdAtMillis: try row.decode(Int64.self, at: 20),
            inboxSequence: try row.decode(Int64.self, at: 21))
    }
}

/// What Send stores for a new message.
public struct NewMessage: Sendable {
    public var id: String
    public var idempotencyKey: String
    public var recipientAccountID: String?
    public var phone: MainlandPhone
    public var template: String
    public var body: String
    public var category: StoredMessage.Category
    public var regionCode: String
    public var segments: SegmentCounter.Count
    public var subjectKind: String = ""
    public var subjectID: String = ""
    public var subjectCode: String = ""
    /// Set for a message that must not go out at all (its recipient's account is disabled):
    /// stored as `failed` with this reason, never handed to the provider.
    public var refusal: String?
}
