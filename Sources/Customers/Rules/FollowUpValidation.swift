import DomainKit
import Messages

/// A follow-up as recorded: every contact with a customer (DOMAIN.md: channel, content,
/// outcome, next follow-up time), checked all at once.
struct ValidFollowUp: Sendable, Equatable {
    var channel: Int32
    var content: String
    var outcome: Int32
    var nextAtMillis: Int64?
    var asked: [String]
}

enum FollowUpValidation {
    static let maxContent = 2000
    static let maxAsked = 20
    /// A next follow-up further out than a year is a typo (a wrong year), not a plan.
    static let maxAheadMillis: Int64 = 366 * 24 * 3600 * 1000

    static func validate(_ request: Xsc_Customers_V1_AddFollowUpRequest, author: String, now: Int64) throws -> ValidFollowUp {
        var problems = FieldViolations()
        switch request.channel {
        case .unspecified: problems.add("channel", "required: how the customer was contacted (phone, visit, wechat, sms, other)")
        case .unrecognized(let value): problems.add("channel", "unknown channel \(value)")
        default: break
        }
        let content = request.content.trimmedForPeople
        problems.add("content", ifProblem: PeopleText.multilineProblem(with: content, maxLength: maxContent).map { "what was said or done: \($0)" })
        switch request.outcome {
        case .unspecified: problems.add("outcome", "required: the outcome of the contact (interested, ordered, no answer, declined, call back)")
        case .unrecognized(let value): problems.add("outcome", "unknown outcome \(value)")
        default: break
        }
        var nextAt: Int64?
        if request.nextFollowUpAtMs != 0 {
            if request.nextFollowUpAtMs <= now {
                problems.add("next_follow_up_at_ms", "must be in the future (Unix milliseconds UTC), or 0 for none")
            } else if request.nextFollowUpAtMs - now > maxAheadMillis {
                problems.add("next_follow_up_at_ms", "must be within a year from now: check the date")
            } else {
                nextAt = request.nextFollowUpAtMs
            }
        }
        var asked: [String] = []
        if request.askAccountIds.count > maxAsked { problems.add("ask_account_ids", "at most \(maxAsked) people (got \(request.askAccountIds.count))") }
        for (index, raw) in request.askAccountIds.prefix(maxAsked).enumerated() {
            let id = raw.trimmedForPeople
            let field = "ask_account_ids[\(index)]"
            if let problem = PeopleText.problem(with: id, maxLength: 64) {
                problems.add(field, "an account id: \(problem)")
            } else if id == author {
                problems.add(field, "you need not ask yourself: the follow-up is yours already")
            } else if asked.contains(id) {
                problems.add(field, "the same person twice: remove the repeat")
            } else {
                asked.append(id)
            }
        }
        try problems.check()
        return ValidFollowUp(channel: request.channel.rawValue, content: content, outcome: request.outcome.rawValue,
                             nextAtMillis: nextAt, asked: asked)
    }
}
