import Messages

public typealias ProposalState = Xsc_Proposals_V1_ProposalState

/// The life of a proposal (DOMAIN.md, "Proposals"; seed: every matter that starts must end):
///
///     draft -submit-> submitted -execute-> executing -finish-> reviewing -reviewed-> closed
///                         |                                        \-review deadline-> closed
///                         +-terminate-> terminated
///
/// A value type: each event returns the effects the flow must carry out (timers, SMS,
/// violations) in the same transaction, so the rules are tested without a database.
struct ProposalStateMachine: Equatable, Sendable {
    enum Event: Equatable, Sendable {
        case edit
        case submit
        /// A superior decided (in time or late: a late decision still counts).
        case decide(execute: Bool)
        /// The decision window of the current level ended; `nextLevel` when there is a
        /// superior above the ones asked so far.
        case decisionDeadlinePassed(nextLevel: Bool)
        /// The finish time was reached (its timer, or a closing step arriving first).
        case finishReached
        /// The analysis and every evaluation are in.
        case reviewComplete
        /// The review deadline passed with something missing.
        case reviewDeadlinePassed
    }

    enum Effect: Equatable, Sendable {
        /// Ask the first superiors and start the decision window.
        case notifyDeciders
        case scheduleDecisionDeadline
        case cancelDecisionDeadline
        /// A violation against the superiors whose window ended.
        case recordDecisionViolation
        /// Ask the next superior (SMS) and start a new window for it.
        case escalate
        /// Proposer and participants learn the outcome (SMS).
        case notifyOutcome
        /// Checkpoint reminders and deadlines, and the finish.
        case scheduleExecution
        /// Ask for the analysis and evaluations; start the review deadline.
        case startReview
        case cancelReviewDeadline
        /// Violations for the missing analysis and evaluations.
        case recordReviewViolations
        /// Nothing of the proposal is due any more.
        case cancelExecution
    }

    enum Refusal: Error, Equatable {
        case illegal(event: String, state: ProposalState)
    }

    private(set) var state: ProposalState

    init(state: ProposalState) {
        self.state = state
    }

    mutating func handle(_ event: Event) throws(Refusal) -> [Effect] {
        switch (state, event) {
        case (.draft, .edit):
            return []
        case (.draft, .submit):
            state = .submitted
            return [.notifyDeciders, .scheduleDecisionDeadline]
        case (.submitted, .decide(let execute)):
            if execute {
                state = .executing
                return [.cancelDecisionDeadline, .notifyOutcome, .scheduleExecution]
            }
            state = .terminated
            return [.cancelDecisionDeadline, .notifyOutcome]
        case (.submitted, .decisionDeadlinePassed(let nextLevel)):
            return nextLevel ? [.recordDecisionViolation, .escalate] : [.recordDecisionViolation]
        case (.executing, .finishReached):
            state = .reviewing
            return [.startReview]
        case (.reviewing, .reviewComplete):
            state = .closed
            return [.cancelReviewDeadline, .cancelExecution]
        case (.reviewing, .reviewDeadlinePassed):
            state = .closed
            return [.recordReviewViolations, .cancelExecution]
        default:
            throw .illegal(event: event.name, state: state)
        }
    }

    /// Whether the proposal is still a matter that has not ended.
    var isOpen: Bool {
        switch state {
        case .submitted, .executing, .reviewing: true
        default: false
        }
    }
}

extension ProposalStateMachine.Event {
    var name: String {
        switch self {
        case .edit: "edit"
        case .submit: "submit"
        case .decide(let execute): execute ? "execute" : "terminate"
        case .decisionDeadlinePassed: "escalate"
        case .finishReached: "finish"
        case .reviewComplete, .reviewDeadlinePassed: "close"
        }
    }
}

/// Stored states are lower-case words, so the table reads well in psql.
extension ProposalState {
    var storedName: String {
        switch self {
        case .draft: "draft"
        case .submitted: "submitted"
        case .executing: "executing"
        case .reviewing: "reviewing"
        case .closed: "closed"
        case .terminated: "terminated"
        case .unspecified, .unrecognized: ""
        }
    }

    init(storedName: String) {
        self = [ProposalState.draft, .submitted, .executing, .reviewing, .closed, .terminated]
            .first { $0.storedName == storedName } ?? .unspecified
    }

    /// How people read it in a refusal ("cannot edit a proposal that is submitted").
    var word: String { storedName.isEmpty ? "unknown" : storedName }
}
