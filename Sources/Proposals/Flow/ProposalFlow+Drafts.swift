import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Drafts: written and edited by their proposer only, then submitted once. Every field is
/// checked at each step (participants against the team's members as they are now).
extension ProposalFlow {
    public func create(_ request: Xsc_Proposals_V1_CreateProposalRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let draft = DraftValidation.normalised(request.draft ?? Xsc_Proposals_V1_ProposalDraft())
        let members = try await teamMembers(actor)
        return try await write("CreateProposal", actor: actor, key: idempotencyKey, request: request) { tx in
            try DraftValidation.check(draft, teamMembers: members).check()
            let record = ProposalRecord(id: makeID(), teamPath: actor.teamPath, proposer: actor.accountID, draft: draft, now: clock())
            _ = try await tx.run(store.insertStatements(record, checkpointAt: draft.checkpointAtMs, makeID: makeID))
            return try await saveAndReload(record, in: tx)
        }
    }

    public func update(_ request: Xsc_Proposals_V1_UpdateProposalRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let draft = DraftValidation.normalised(request.draft ?? Xsc_Proposals_V1_ProposalDraft())
        let members = try await teamMembers(actor)
        return try await pool.transaction { tx in
            var record = try await readable(request.proposalId, actor: actor, forUpdate: true, in: tx)
            guard record.proposer == actor.accountID else { throw Self.onlyProposer("edit") }
            var machine = record.machine
            _ = try machine.apply(.edit)
            try DraftValidation.check(draft, teamMembers: members).check()
            record.apply(draft)
            record.updatedAt = clock()
            _ = try await tx.run(store.replaceDraftStatements(record, checkpointAt: draft.checkpointAtMs, makeID: makeID))
            return try await saveAndReload(record, in: tx)
        }
    }

    /// Submission asks the proposer's nearest superiors at once (SMS, mirrored in their
    /// inbox) and starts the team's decision window as a durable timer.
    public func submit(_ request: Xsc_Proposals_V1_ProposalRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let members = try await teamMembers(actor)
        let proposer = try await directory.person(actor.accountID)
        let levels = try await directory.superiorLevels(of: actor.accountID)
        return try await write("SubmitProposal", actor: actor, key: idempotencyKey, request: request) { tx in
            var record = try await readable(request.proposalId, actor: actor, forUpdate: true, in: tx)
            guard record.proposer == actor.accountID else { throw Self.onlyProposer("submit") }
            var machine = record.machine
            let effects = try machine.apply(.submit)
            let now = clock()
            try DraftValidation.check(record.draft, teamMembers: members, now: now).check()
            guard let proposer else {
                throw DomainErrors.refused(.failedPrecondition,
                                           "your account is not in the proposal area's directory yet; try again in a minute",
                                           reason: ProposalErrorReason.directoryPending)
            }
            guard !levels.isEmpty else {
                throw DomainErrors.refused(.failedPrecondition,
                                           "nobody above you can decide proposals (no team admin or lead above your team); ask your administrator",
                                           reason: ProposalErrorReason.noSuperior)
            }
            let deadlines = try await settings.deadlines(team: record.teamPath, in: tx)
            record.state = machine.state
            record.submittedAt = now
            record.updatedAt = now
            record.deciderLevels = levels
            record.firstDecisionDueAt = now + deadlines.decisionWindowMillis
            record.decisionDueAt = record.firstDecisionDueAt
            var statements = store.decidersStatements(proposalID: record.id, levels: levels)
            for checkpoint in record.checkpoints {
                statements.append(store.checkpointDueStatement(checkpointID: checkpoint.id,
                                                               dueAt: checkpoint.at + deadlines.reportGraceMillis))
            }
            _ = try await tx.run(statements)
            for effect in effects {
                switch effect {
                case .notifyDeciders:
                    // The standard text names DOMAIN.md's 30 minutes; another window names its deadline.
                    var params = ["proposer": proposer.name.isEmpty ? proposer.id : proposer.name, "title": record.title]
                    let standard = deadlines.decisionWindow == TeamDeadlines.defaults.decisionWindow
                    if !standard { params["due"] = BusinessCalendar.organisation(timeZone).clockText(record.decisionDueAt ?? now) }
                    try await notifier.send(standard ? "proposal_submitted" : "proposal_submitted_due", to: levels[0],
                                            params: params, teamPath: record.teamPath, in: tx)
                case .scheduleDecisionDeadline:
                    try await timers.schedule(in: tx, kind: TimerKind.decision, subjectID: record.id,
                                              dueAtMillis: record.decisionDueAt ?? now)
                default:
                    break
                }
            }
            return try await saveAndReload(record, in: tx)
        }
    }

    /// The enabled members of the actor's team (read before the transaction).
    func teamMembers(_ actor: VerifiedActor) async throws -> Set<String> {
        Set(try await directory.members(of: actor.teamPath).map(\.id))
    }

    static func onlyProposer(_ what: String) -> RPCError {
        DomainErrors.refused(.permissionDenied, "only the proposer may \(what) this proposal", reason: ProposalErrorReason.notAllowed)
    }
}

/// The durable timers of the proposal area (subject: a proposal, checkpoint or notice id).
enum TimerKind {
    static let decision = "proposal.decision"
    static let checkpointReminder = "proposal.checkpoint_reminder"
    static let checkpoint = "proposal.checkpoint"
    static let finish = "proposal.finish"
    static let review = "proposal.review"
    static let noticeAcknowledgement = "notice.acknowledgement"
}
