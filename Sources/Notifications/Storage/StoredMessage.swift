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

    /// Read by name in `decode`.
    static let columns = """
        id, idempotency_key, recipient_account_id, phone, template, body, category, region_code, segments,
        state, attempts, next_attempt_at, sent_at, delivered_at, failure_reason, provider_message_id,
        subject_kind, subject_id, subject_code, read_at, created_at, inbox_seq
        """

    static func decode(_ row: PostgresRow) throws -> StoredMessage {
        let phoneText = try row.decode(String.self, column: "phone")
        guard let phone = MainlandPhone(mobile: phoneText) else {
            throw PostgresError(.usage, "messages.phone holds an invalid number")
        }
        return StoredMessage(
            id: try row.decode(String.self, column: "id"),
            idempotencyKey: try row.decode(String.self, column: "idempotency_key"),
            recipientAccountID: try row.decode(String?.self, column: "recipient_account_id"),
            phone: phone,
            template: try row.decode(String.self, column: "template"),
            body: try row.decode(String.self, column: "body"),
            category: Category(rawValue: try row.decode(String.self, column: "category")) ?? .staffSLA,
            regionCode: try row.decode(String.self, column: "region_code"),
            segments: try row.decode(Int.self, column: "segments"),
            state: State(rawValue: try row.decode(String.self, column: "state")) ?? .queued,
            attempts: try row.decode(Int.self, column: "attempts"),
            nextAttemptAtMillis: try row.decode(Int64.self, column: "next_attempt_at"),
            sentAtMillis: try row.decode(Int64?.self, column: "sent_at"),
            deliveredAtMillis: try row.decode(Int64?.self, column: "delivered_at"),
            failureReason: try row.decode(String?.self, column: "failure_reason"),
            providerMessageID: try row.decode(String?.self, column: "provider_message_id"),
            subjectKind: try row.decode(String.self, column: "subject_kind"),
            subjectID: try row.decode(String.self, column: "subject_id"),
            subjectCode: try row.decode(String.self, column: "subject_code"),
            readAtMillis: try row.decode(Int64?.self, column: "read_at"),
            createdAtMillis: try row.decode(Int64.self, column: "created_at"),
            inboxSequence: try row.decode(Int64.self, column: "inbox_seq"))
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
    /// What a vendor sends it with (issue 14): its registered template code and signature, and
    /// the template's parameters in order. Empty for the development and generic providers.
    public var vendorTemplateCode: String = ""
    public var signName: String = ""
    public var templateParams: [VendorParam] = []
}
