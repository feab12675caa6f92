import Messages

/// How proposals read: JSON with the proto's field names, and text.
enum ProposalView {
    static let states: [Xsc_Proposals_V1_ProposalState] = [.draft, .submitted, .executing, .reviewing, .closed, .terminated]

    static func json(_ proposal: Xsc_Proposals_V1_Proposal) -> JSONValue {
        let draft = proposal.draft ?? Xsc_Proposals_V1_ProposalDraft()
        return .object([
            ("id", .string(proposal.id)),
            ("state", .string(EnumName.of(proposal.state))),
            ("team_path", .string(proposal.teamPath)),
            ("proposer_account_id", .string(proposal.proposerAccountId)),
            ("title", .string(draft.title)),
            ("purpose", .string(draft.purpose)),
            ("content", .string(draft.content)),
            ("resources", .string(draft.resources)),
            ("participant_account_ids", .strings(draft.participantAccountIds)),
            ("start_at_ms", .int(draft.startAtMs)),
            ("finish_at_ms", .int(draft.finishAtMs)),
            ("checkpoints", .array(proposal.checkpoints.map { checkpoint in
                .object([("id", .string(checkpoint.id)), ("at_ms", .int(checkpoint.atMs)), ("due_at_ms", .int(checkpoint.dueAtMs)),
                         ("reports", .array(checkpoint.reports.map { report in
                             .object([("account_id", .string(report.accountId)), ("result", .string(report.result)),
                                      ("reported_at_ms", .int(report.reportedAtMs)), ("late", .bool(report.late))])
                         }))])
            })),
            ("decider_account_ids", .strings(proposal.deciderAccountIds)),
            ("decision_due_at_ms", .int(proposal.decisionDueAtMs)),
            ("decision", .string(EnumName.of(proposal.decision))),
            ("decision_comment", .string(proposal.decisionComment)),
            ("decided_by", .string(proposal.decidedBy)),
            ("decided_at_ms", .int(proposal.decidedAtMs)),
            ("analysis", .string(proposal.analysis)),
            ("evaluations", .array(proposal.evaluations.map { evaluation in
                .object([("account_id", .string(evaluation.accountId)), ("score", .int(evaluation.score)),
                         ("text", .string(evaluation.text)), ("late", .bool(evaluation.late))])
            })),
            ("review_due_at_ms", .int(proposal.reviewDueAtMs)),
            ("submitted_at_ms", .int(proposal.submittedAtMs)),
            ("created_at_ms", .int(proposal.createdAtMs)),
        ])
    }

    static func table(_ proposals: [Xsc_Proposals_V1_Proposal], time: TimeText) -> String {
        var table = Table("title", "state", "start", "finish", "decision due", "id")
        for proposal in proposals {
            let draft = proposal.draft ?? Xsc_Proposals_V1_ProposalDraft()
            table.add(draft.title, EnumName.of(proposal.state), time.show(draft.startAtMs), time.show(draft.finishAtMs),
                      proposal.state == .submitted ? time.show(proposal.decisionDueAtMs) : "", proposal.id)
        }
        return table.rendered()
    }

    static func details(_ proposal: Xsc_Proposals_V1_Proposal, time: TimeText) -> String {
        let draft = proposal.draft ?? Xsc_Proposals_V1_ProposalDraft()
        var fields = Fields()
        fields.add("proposal", "\(draft.title) (id \(proposal.id))")
        fields.add("state", EnumName.of(proposal.state))
        fields.add("proposer", proposal.proposerAccountId)
        fields.add("purpose", draft.purpose)
        fields.add("content", draft.content)
        fields.add("resources", draft.resources)
        fields.add("participants", draft.participantAccountIds.joined(separator: ", "))
        fields.add("runs", "\(time.show(draft.startAtMs)) to \(time.show(draft.finishAtMs))")
        if proposal.state == .submitted {
            fields.add("decision due", "\(time.show(proposal.decisionDueAtMs)) by \(proposal.deciderAccountIds.joined(separator: ", "))")
        }
        if proposal.decision != .unspecified {
            fields.add("decision", "\(EnumName.of(proposal.decision)) by \(proposal.decidedBy) at \(time.show(proposal.decidedAtMs)): \(proposal.decisionComment)")
        }
        fields.addIfAny("analysis", proposal.analysis)
        var text = fields.rendered()
        if !proposal.checkpoints.isEmpty {
            var table = Table("checkpoint", "at", "reports due", "reported by", "id")
            for checkpoint in proposal.checkpoints {
                table.add(String((proposal.checkpoints.firstIndex { $0.id == checkpoint.id } ?? 0) + 1), time.show(checkpoint.atMs),
                          time.show(checkpoint.dueAtMs), checkpoint.reports.map(\.accountId).joined(separator: ", "), checkpoint.id)
            }
            text += "\n\n" + table.rendered()
        }
        if !proposal.evaluations.isEmpty {
            var table = Table("evaluated by", "score", "text")
            for evaluation in proposal.evaluations { table.add(evaluation.accountId, String(evaluation.score), evaluation.text) }
            text += "\n\n" + table.rendered()
        }
        return text
    }
}
