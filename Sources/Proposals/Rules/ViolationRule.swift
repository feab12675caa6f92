/// The rules a person can break in the proposal area (events.proto ProposalViolation.rule).
enum ViolationRule: String, Sendable, CaseIterable {
    case decision = "proposal_decision"
    case checkpoint = "proposal_checkpoint"
    case analysis = "proposal_analysis"
    case evaluation = "proposal_evaluation"
    case noticeAcknowledgement = "notice_acknowledgement"
}

/// One miss as recorded: unique per (rule, person, reference), so a timer and a late step
/// that both notice it record it once.
struct ViolationRecord: Sendable, Equatable {
    var rule: ViolationRule
    var person: String
    var teamPath: String
    var proposalID: String
    var reference: String
    var dueAtMillis: Int64
    var recordedAtMillis: Int64
    var detail: String
}
