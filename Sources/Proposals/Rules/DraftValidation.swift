import DomainKit
import Messages

/// Every required field of a proposal (DOMAIN.md: purpose, content, required resources,
/// required people, start, finish, checkpoints with start < checkpoints < finish), each
/// checked with its own message, all at once. Pure: the caller passes the team's members.
enum DraftValidation {
    static let maxParticipants = 50
    static let maxCheckpoints = 20

    /// The draft with its text trimmed (what is stored).
    static func normalised(_ draft: Xsc_Proposals_V1_ProposalDraft) -> Xsc_Proposals_V1_ProposalDraft {
        var draft = draft
        draft.title = draft.title.trimmedForPeople
        draft.purpose = draft.purpose.trimmedForPeople
        draft.content = draft.content.trimmedForPeople
        draft.resources = draft.resources.trimmedForPeople
        draft.participantAccountIds = draft.participantAccountIds.map(\.trimmedForPeople)
        return draft
    }

    /// Problems of a (normalised) draft. `teamMembers`: the enabled accounts of the
    /// proposer's team. `now` given (at submission) also refuses times already past.
    static func check(_ draft: Xsc_Proposals_V1_ProposalDraft, field prefix: String = "draft",
                      teamMembers: Set<String>, now: Int64? = nil) -> FieldViolations {
        var problems = FieldViolations()
        problems.add("\(prefix).title", ifProblem: PeopleText.problem(with: draft.title, maxLength: 100))
        problems.add("\(prefix).purpose", ifProblem: PeopleText.multilineProblem(with: draft.purpose, maxLength: 2000))
        problems.add("\(prefix).content", ifProblem: PeopleText.multilineProblem(with: draft.content, maxLength: 5000))
        problems.add("\(prefix).resources", ifProblem: PeopleText.multilineProblem(with: draft.resources, maxLength: 2000))
        checkParticipants(draft.participantAccountIds, field: "\(prefix).participant_account_ids", teamMembers: teamMembers,
                          into: &problems)
        checkTimes(draft, prefix: prefix, now: now, into: &problems)
        return problems
    }

    private static func checkParticipants(_ ids: [String], field: String, teamMembers: Set<String>,
                                          into problems: inout FieldViolations) {
        if ids.isEmpty {
            problems.add(field, "required: name at least one participant from your team")
            return
        }
        if ids.count > maxParticipants {
            problems.add(field, "at most \(maxParticipants) participants (got \(ids.count))")
            return
        }
        var seen = Set<String>()
        for (index, id) in ids.enumerated() {
            if id.isEmpty {
                problems.add("\(field)[\(index)]", "required: an account id")
            } else if !seen.insert(id).inserted {
                problems.add("\(field)[\(index)]", "named twice: list each participant once")
            } else if !teamMembers.contains(id) {
                problems.add("\(field)[\(index)]", "not a member of your team: participants must be enabled accounts of your own team")
            }
        }
    }

    private static func checkTimes(_ draft: Xsc_Proposals_V1_ProposalDraft, prefix: String, now: Int64?,
                                   into problems: inout FieldViolations) {
        let start = draft.startAtMs, finish = draft.finishAtMs
        if start <= 0 { problems.add("\(prefix).start_at_ms", "required: the start time (Unix ms)") }
        if finish <= 0 {
            problems.add("\(prefix).finish_at_ms", "required: the finish time (Unix ms)")
        } else if start > 0 && finish <= start {
            problems.add("\(prefix).finish_at_ms", "must be after the start")
        } else if let now, finish <= now {
            problems.add("\(prefix).finish_at_ms", "already past: set a finish in the future")
        }
        let checkpoints = draft.checkpointAtMs
        let field = "\(prefix).checkpoint_at_ms"
        if checkpoints.isEmpty {
            problems.add(field, "required: at least one checkpoint time for interim reports")
            return
        }
        if checkpoints.count > maxCheckpoints {
            problems.add(field, "at most \(maxCheckpoints) checkpoints (got \(checkpoints.count))")
            return
        }
        var seen = Set<Int64>()
        for (index, at) in checkpoints.enumerated() {
            let item = "\(field)[\(index)]"
            if start > 0 && at <= start {
                problems.add(item, "must be after the start")
            } else if finish > 0 && at >= finish {
                problems.add(item, "must be before the finish")
            } else if !seen.insert(at).inserted {
                problems.add(item, "the same time twice: each checkpoint once")
            } else if let now, at <= now {
                problems.add(item, "already past: checkpoints must be in the future when you submit")
            }
        }
    }
}
