import DomainKit
import Foundation
import Messages
import Postgres
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// Turns an inbound SMS into what it asks for. A reply to an order prompt acknowledges that
/// order: the acknowledgement is an outbox event to the orders service, committed with the
/// inbound row, carrying the reply's original time (if orders is down, it waits in the outbox
/// and counts from when the lead replied). Anything else gets a short explanatory SMS back.
public struct InboundReplies: Sendable {
    public static let ordersDestination = "orders"
    public static let acknowledgePath = Xsc_Orders_V1_OrderServiceClient.Paths.acknowledgeBySms
    /// Prompts older than this no longer take a bare `1`.
    public static let promptWindow: Duration = .seconds(24 * 3600)

    public enum Outcome: String, Sendable {
        case acknowledgementQueued = "acknowledgement_queued"
        case notUnderstood = "not_understood"
        case ambiguous
        case nothingToAcknowledge = "nothing_to_acknowledge"
        case duplicate
    }

    public struct Result: Sendable, Equatable {
        public var outcome: Outcome
        public var orderID: String
        /// The explanatory SMS queued back to the sender, if any.
        public var replyMessageID: String?
    }

    let clock: WallClock
    let logger: Logger

    public init(clock: @escaping WallClock = SystemWallClock.now, logger: Logger) {
        self.clock = clock
        self.logger = logger
    }

    private struct Prompt {
        let orderID: String
        let code: String
        let region: String
    }

    public func receive(pool: PostgresPool, from phone: MainlandPhone, text: String, receivedAtMillis: Int64,
                        providerMessageID: String) async throws -> Result {
        let inboundID = MessageStore.makeID()
        let now = clock()
        let result = try await pool.transaction { tx -> Result in
            let inserted = try await tx.query("""
                INSERT INTO inbound_messages (id, provider_message_id, phone, body, received_at, outcome, created_at)
                VALUES ($1, $2, $3, $4, $5, 'pending', $6)
                ON CONFLICT (provider_message_id) DO NOTHING RETURNING id
                """, [.text(inboundID), providerMessageID.isEmpty ? .null : .text(providerMessageID), .text(phone.digits),
                      .text(text), .timestampMillis(receivedAtMillis), .timestampMillis(now)])
            if inserted.isEmpty {
                let earlier = try await tx.query("SELECT order_id FROM inbound_messages WHERE provider_message_id = $1",
                                                 [.text(providerMessageID)])
                return Result(outcome: .duplicate, orderID: try earlier.first?.decode(String.self, at: 0) ?? "",
                              replyMessageID: nil)
            }
            let account = try await PhoneDirectory(clock: clock).account(in: tx, phone: phone)
            let prompts = try await openPrompts(tx, phone: phone, account: account, before: receivedAtMillis)
            let result: Result
            switch ReplyParser.parse(text) {
            case .notUnderstood:
                result = try await answer(tx, .notUnderstood, template: "reply_not_understood", params: [:],
                                          phone: phone, account: account, region: prompts.first?.region, inboundID: inboundID)
            case .acknowledge:
                let orders = Dictionary(grouping: prompts, by: \.orderID)
                if let account, orders.count == 1, let prompt = prompts.first {
                    result = try await acknowledge(tx, prompt, account: account, phone: phone, text: text,
                                                   repliedAt: receivedAtMillis, inboundID: inboundID)
                } else if account != nil, orders.count > 1, let newest = prompts.first {
                    result = try await answer(tx, .ambiguous, template: "reply_ambiguous",
                                              params: ["count": String(orders.count), "code": newest.code],
                                              phone: phone, account: account, region: newest.region, inboundID: inboundID)
                } else {
                    result = try await answer(tx, .nothingToAcknowledge, template: "reply_nothing_pending", params: [:],
                                              phone: phone, account: account, region: prompts.first?.region, inboundID: inboundID)
                }
            case .acknowledgeCode(let code):
                if let account, let prompt = prompts.first(where: { $0.code.uppercased() == code }) {
                    result = try await acknowledge(tx, prompt, account: account, phone: phone, text: text,
                                                   repliedAt: receivedAtMillis, inboundID: inboundID)
                } else {
                    result = try await answer(tx, .nothingToAcknowledge, template: "reply_nothing_pending", params: [:],
                                              phone: phone, account: account, region: prompts.first?.region, inboundID: inboundID)
                }
            }
            try await tx.execute("UPDATE inbound_messages SET outcome = $2, order_id = $3, account_id = $4 WHERE id = $1",
                                 [.text(inboundID), .text(result.outcome.rawValue), .text(result.orderID),
                                  account.map { .text($0) } ?? .null])
            return result
        }
        let fields: KeyValuePairs<String, LogValue> = [
            "from": .string(phone.masked), "text": .string(PhoneMasking.mask(text)),
            "outcome": .string(result.outcome.rawValue), "order_id": .string(result.orderID),
        ]
        if result.outcome == .acknowledgementQueued || result.outcome == .duplicate {
            logger.info("inbound sms handled", fields)
        } else {
            logger.warning("inbound sms not applied", fields)
        }
        return result
    }

    /// Unanswered order prompts sent to this phone within the window before the reply, newest
    /// first: those addressed to the replying account (or to the bare number), so that a number
    /// passed on to someone else never answers its previous owner's prompts.
    private func openPrompts(_ tx: PostgresTransaction, phone: MainlandPhone, account: String?,
                             before replyMillis: Int64) async throws -> [Prompt] {
        let rows = try await tx.query("""
            SELECT subject_id, subject_code, region_code FROM messages
            WHERE phone = $1 AND subject_kind = 'order' AND replied_at IS NULL AND created_at > $2
              AND (recipient_account_id IS NULL OR recipient_account_id = $3)
            ORDER BY created_at DESC, inbox_seq DESC FOR UPDATE
            """, [.text(phone.digits), .timestampMillis(replyMillis - Self.promptWindow.wholeMilliseconds),
                  account.map { .text($0) } ?? .null])
        return try rows.map {
            Prompt(orderID: try $0.decode(String.self, at: 0), code: try $0.decode(String.self, at: 1),
                   region: try $0.decode(String.self, at: 2))
        }
    }

    private func acknowledge(_ tx: PostgresTransaction, _ prompt: Prompt, account: String, phone: MainlandPhone,
                             text: String, repliedAt: Int64, inboundID: String) async throws -> Result {
        try await tx.execute("""
            UPDATE messages SET replied_at = $3 WHERE phone = $1 AND subject_kind = 'order' AND subject_id = $2
              AND replied_at IS NULL
            """, [.text(phone.digits), .text(prompt.orderID), .timestampMillis(repliedAt)])
        var event = Xsc_Notifications_V1_SmsAcknowledgement()
        event.orderId = prompt.orderID
        event.accountId = account
        event.repliedAtMs = repliedAt
        event.replyText = text
        event.inboundId = inboundID
        try await Outbox(clock: clock).enqueue(in: tx, destination: Self.ordersDestination, methodPath: Self.acknowledgePath,
                                               message: event, eventID: "sms-ack-" + inboundID)
        return Result(outcome: .acknowledgementQueued, orderID: prompt.orderID, replyMessageID: nil)
    }

    private func answer(_ tx: PostgresTransaction, _ outcome: Outcome, template: String, params: [String: String],
                        phone: MainlandPhone, account: String?, region: String?, inboundID: String) async throws -> Result {
        let regionCode = region ?? "hq"
        guard case .success(let rendered) = TemplateRenderer.render(templateName: template, parameters: params,
                                                                    regionCode: regionCode) else {
            throw PostgresError(.usage, "reply template \(template) does not render")
        }
        let message = NewMessage(id: MessageStore.makeID(), idempotencyKey: "inbound-reply:" + inboundID,
                                 recipientAccountID: account, phone: phone, template: template, body: rendered.text,
                                 // The sender is awake (they just wrote): answer at any hour.
                                 category: .staffSLA, regionCode: regionCode, segments: rendered.segments)
        try await MessageStore(clock: clock).insert(in: tx, message)
        return Result(outcome: outcome, orderID: "", replyMessageID: message.id)
    }
}
