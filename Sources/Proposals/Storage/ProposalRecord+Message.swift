import Messages

extension ProposalRecord {
    var message: Xsc_Proposals_V1_Proposal {
        var proposal = Xsc_Proposals_V1_Proposal()
        proposal.id = id
        proposal.teamPath = teamPath
        proposal.proposerAccountId = proposer
        proposal.draft = draft
        proposal.state = state
        proposal.createdAtMs = createdAt
        proposal.updatedAtMs = updatedAt
        proposal.submittedAtMs = submittedAt ?? 0
        proposal.deciderAccountIds = state == .draft ? [] : askedDeciders
        proposal.escalations = Int32(escalations)
        proposal.decisionDueAtMs = decisionDueAt ?? 0
        proposal.firstOpenedAtMs = firstOpenedAt ?? 0
        proposal.firstOpenedBy = firstOpenedBy
        proposal.decision = switch decision {
        case "execute": .execute
        case "terminate": .terminate
        default: .unspecified
        }
        proposal.decisionComment = decisionComment
        proposal.decidedBy = decidedBy
        proposal.decidedAtMs = decidedAt ?? 0
        proposal.decisionLate = decisionLate
        proposal.checkpoints = checkpoints.map { checkpoint in
            var message = Xsc_Proposals_V1_Checkpoint()
            message.id = checkpoint.id
            message.atMs = checkpoint.at
            message.dueAtMs = checkpoint.dueAt
            message.reports = checkpoint.reports.map { report in
                var message = Xsc_Proposals_V1_CheckpointReport()
                message.accountId = report.account
                message.result = report.result
                message.reportedAtMs = report.reportedAt
                message.late = report.late
                return message
            }
            return message
        }
        proposal.analysis = analysis
        proposal.analysisAtMs = analysisAt ?? 0
        proposal.analysisLate = analysisLate
        proposal.evaluations = evaluations.map { evaluation in
            var message = Xsc_Proposals_V1_Evaluation()
            message.accountId = evaluation.account
            message.score = evaluation.score
            message.text = evaluation.text
            message.submittedAtMs = evaluation.submittedAt
            message.late = evaluation.late
            return message
        }
        proposal.reviewDueAtMs = reviewDueAt ?? 0
        proposal.violations = violations.map { violation in
            var message = Xsc_Proposals_V1_Violation()
            message.rule = violation.rule.rawValue
            message.personAccountId = violation.person
            message.reference = violation.reference
            message.dueAtMs = violation.dueAtMillis
            message.recordedAtMs = violation.recordedAtMillis
            message.detail = violation.detail
            return message
        }
        return proposal
    }
}
