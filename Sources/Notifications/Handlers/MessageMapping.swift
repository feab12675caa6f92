import Messages

extension StoredMessage {
    /// The wire form: the phone leaves the service masked only.
    var proto: Xsc_Notifications_V1_Message {
        var message = Xsc_Notifications_V1_Message()
        message.id = id
        message.recipientAccountId = recipientAccountID ?? ""
        message.recipientPhoneMasked = phone.masked
        message.template = template
        message.text = body
        message.category = category == .customer ? .customer : .staffSla
        message.regionCode = regionCode
        message.state = switch state {
        case .queued: .queued
        case .sent: .sent
        case .delivered: .delivered
        case .failed: .failed
        }
        message.attempts = Int32(clamping: attempts)
        message.segments = Int32(clamping: segments)
        message.failureReason = failureReason ?? ""
        if !subjectKind.isEmpty {
            var subject = Xsc_Notifications_V1_Subject()
            subject.kind = subjectKind
            subject.id = subjectID
            subject.shortCode = subjectCode
            message.subject = subject
        }
        message.createdAtMs = createdAtMillis
        message.nextAttemptAtMs = state == .queued ? nextAttemptAtMillis : 0
        message.sentAtMs = sentAtMillis ?? 0
        message.deliveredAtMs = deliveredAtMillis ?? 0
        message.readAtMs = readAtMillis ?? 0
        return message
    }
}

/// Inbox cursors are opaque to callers: "i" + the inbox sequence to continue below.
enum InboxCursor {
    static func encode(_ sequence: Int64) -> String { "i" + String(sequence) }

    static func decode(_ cursor: String) -> Int64?? {
        if cursor.isEmpty { return .some(nil) }
        guard cursor.hasPrefix("i"), let value = Int64(cursor.dropFirst()), value > 0 else { return nil }
        return .some(value)
    }
}
