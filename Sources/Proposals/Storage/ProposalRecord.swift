import Messages
import Postgres

/// One proposal with everything hanging on it, as the flow and the mappers use it.
struct ProposalRecord: Sendable {
    var id: String
    var teamPath: String
    var proposer: String
    var title: String
    var purpose: String
    var content: String
    var resources: String
    var startAt: Int64
    var finishAt: Int64
    var state: ProposalState
    var createdAt: Int64
    var updatedAt: Int64
    var submittedAt: Int64?
    var escalations: Int
    var firstDecisionDueAt: Int64?
    var decisionDueAt: Int64?
    var firstOpenedAt: Int64?
    var firstOpenedBy: String
    var decision: String
    var decisionComment: String
    var decidedBy: String
    var decidedAt: Int64?
    var decisionLate: Bool
    var analysis: String
    var analysisAt: Int64?
    var analysisLate: Bool
    var reviewDueAt: Int64?

    var participants: [String] = []
    /// The frozen superiors chain: level -> accounts.
    var deciderLevels: [[String]] = []
    var checkpoints: [CheckpointRecord] = []
    var evaluations: [EvaluationRecord] = []
    var violations: [ViolationRecord] = []

    struct CheckpointRecord: Sendable {
        var id: String
        var position: Int
        var at: Int64
        var dueAt: Int64
        var reports: [ReportRecord] = []
    }

    struct ReportRecord: Sendable {
        var checkpointID: String
        var account: String
        var result: String
        var reportedAt: Int64
        var late: Bool
    }

    struct EvaluationRecord: Sendable {
        var account: String
        var score: Int32
        var text: String
        var submittedAt: Int64
        var late: Bool
    }

    /// The accounts asked to decide so far (levels 0 ... escalations).
    var askedDeciders: [String] {
        Array(deciderLevels.prefix(escalations + 1).joined())
    }

    var currentDeciders: [String] {
        escalations < deciderLevels.count ? deciderLevels[escalations] : []
    }

    var accessFacts: ProposalAccess.Facts {
        ProposalAccess.Facts(teamPath: teamPath, proposer: proposer, state: state, askedDeciders: Set(askedDeciders))
    }

    var machine: ProposalStateMachine { ProposalStateMachine(state: state) }

    /// The columns `init(row:)` reads by name, from `proposals`.
    static let columns = """
        id, team_path, proposer, title, purpose, content, resources, start_at, finish_at, state, created_at, updated_at,
        submitted_at, escalations, first_decision_due_at, decision_due_at, first_opened_at, first_opened_by, decision,
        decision_comment, decided_by, decided_at, decision_late, analysis, analysis_at, analysis_late, review_due_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        teamPath = try row.decode(String.self, column: "team_path")
        proposer = try row.decode(String.self, column: "proposer")
        title = try row.decode(String.self, column: "title")
        purpose = try row.decode(String.self, column: "purpose")
        content = try row.decode(String.self, column: "content")
        resources = try row.decode(String.self, column: "resources")
        startAt = try row.decode(Int64.self, column: "start_at")
        finishAt = try row.decode(Int64.self, column: "finish_at")
        state = ProposalState(storedName: try row.decode(String.self, column: "state"))
        createdAt = try row.decode(Int64.self, column: "created_at")
        updatedAt = try row.decode(Int64.self, column: "updated_at")
        submittedAt = try row.decode(Int64?.self, column: "submitted_at")
        escalations = try row.decode(Int.self, column: "escalations")
        firstDecisionDueAt = try row.decode(Int64?.self, column: "first_decision_due_at")
        decisionDueAt = try row.decode(Int64?.self, column: "decision_due_at")
        firstOpenedAt = try row.decode(Int64?.self, column: "first_opened_at")
        firstOpenedBy = try row.decode(String.self, column: "first_opened_by")
        decision = try row.decode(String.self, column: "decision")
        decisionComment = try row.decode(String.self, column: "decision_comment")
        decidedBy = try row.decode(String.self, column: "decided_by")
        decidedAt = try row.decode(Int64?.self, column: "decided_at")
        decisionLate = try row.decode(Bool.self, column: "decision_late")
        analysis = try row.decode(String.self, column: "analysis")
        analysisAt = try row.decode(Int64?.self, column: "analysis_at")
        analysisLate = try row.decode(Bool.self, column: "analysis_late")
        reviewDueAt = try row.decode(Int64?.self, column: "review_due_at")
    }

    init(id: String, teamPath: String, proposer: String, draft: Xsc_Proposals_V1_ProposalDraft, now: Int64) {
        self.id = id
        self.teamPath = teamPath
        self.proposer = proposer
        title = draft.title
        purpose = draft.purpose
        content = draft.content
        resources = draft.resources
        startAt = draft.startAtMs
        finishAt = draft.finishAtMs
        state = .draft
        createdAt = now
        updatedAt = now
        escalations = 0
        firstOpenedBy = ""
        decision = ""
        decisionComment = ""
        decidedBy = ""
        decisionLate = false
        analysis = ""
        analysisLate = false
        participants = draft.participantAccountIds
    }

    mutating func apply(_ draft: Xsc_Proposals_V1_ProposalDraft) {
        title = draft.title
        purpose = draft.purpose
        content = draft.content
        resources = draft.resources
        startAt = draft.startAtMs
        finishAt = draft.finishAtMs
        participants = draft.participantAccountIds
    }

    var draft: Xsc_Proposals_V1_ProposalDraft {
        var draft = Xsc_Proposals_V1_ProposalDraft()
        draft.title = title
        draft.purpose = purpose
        draft.content = content
        draft.resources = resources
        draft.participantAccountIds = participants
        draft.startAtMs = startAt
        draft.finishAtMs = finishAt
        draft.checkpointAtMs = checkpoints.map(\.at)
        return draft
    }
}
