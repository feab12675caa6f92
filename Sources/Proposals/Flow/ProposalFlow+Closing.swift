import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Closing (seed: every matter that starts must end): after the finish the proposer submits
/// an effect analysis and every participant an evaluation; the proposal closes when all are
/// in, or when the review deadline passes, the missing ones becoming violations.
extension ProposalFlow {
    public func submitAnalysis(_ request: Xsc_Proposals_V1_SubmitAnalysisRequest, actor: VerifiedActor,
                               idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let analysis = request.analysis.trimmedForPeople
        try FieldViolations.checking("analysis", PeopleText.multilineProblem(with: analysis, maxLength: 5000))
        return try await write("SubmitAnalysis", actor: actor, key: idempotencyKey, request: request) { tx in
            var record = try await reviewable(request.proposalId, actor: actor, in: tx)
            guard record.proposer == actor.accountID else { throw Self.onlyProposer("analyse") }
            guard record.analysis.isEmpty else {
                throw DomainErrors.refused(.alreadyExists, "the analysis was already submitted", reason: ProposalErrorReason.alreadyDone)
            }
            let now = clock()
            record.analysis = analysis
            record.analysisAt = now
            record.analysisLate = now > (record.reviewDueAt ?? now)
            record.updatedAt = now
            try await closeIfComplete(&record, in: tx)
            return try await saveAndReload(record, in: tx)
        }
    }

    public func submitEvaluation(_ request: Xsc_Proposals_V1_SubmitEvaluationRequest, actor: VerifiedActor,
                                 idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let text = request.text.trimmedForPeople
        var problems = FieldViolations()
        if !(1...5).contains(request.score) { problems.add("score", "must be 1 to 5 (got \(request.score))") }
        problems.add("text", ifProblem: PeopleText.multilineProblem(with: text, maxLength: 2000))
        try problems.check()
        return try await write("SubmitEvaluation", actor: actor, key: idempotencyKey, request: request) { tx in
            var record = try await reviewable(request.proposalId, actor: actor, in: tx)
            guard record.participants.contains(actor.accountID) else {
                throw DomainErrors.refused(.permissionDenied, "only the proposal's participants evaluate it",
                                           reason: ProposalErrorReason.notAllowed)
            }
            let now = clock()
            let evaluation = ProposalRecord.EvaluationRecord(account: actor.accountID, score: request.score, text: text,
                                                             submittedAt: now, late: now > (record.reviewDueAt ?? now))
            guard try await store.insertEvaluation(proposalID: record.id, evaluation, in: tx) else {
                throw DomainErrors.refused(.alreadyExists, "you already evaluated this proposal", reason: ProposalErrorReason.alreadyDone)
            }
            record.evaluations.append(evaluation)
            record.updatedAt = now
            try await closeIfComplete(&record, in: tx)
            return try await saveAndReload(record, in: tx)
        }
    }

    /// The proposal, locked, in its review; a finish whose timer has not fired yet opens it here.
    private func reviewable(_ id: String, actor: VerifiedActor, in tx: PostgresTransaction) async throws -> ProposalRecord {
        var record = try await readable(id, actor: actor, forUpdate: true, in: tx)
        if record.state == .executing {
            guard clock() >= record.finishAt else {
                throw DomainErrors.refused(.failedPrecondition, "the proposal has not finished yet: analysis and evaluations open at its finish",
                                           reason: ProposalErrorReason.notYet)
            }
            try await timers.cancel(in: tx, kind: TimerKind.finish, subjectID: record.id)
            try await openReview(&record, in: tx)
        }
        guard record.state == .reviewing else {
            throw DomainErrors.refused(.failedPrecondition, "the proposal is \(record.state.word): analysis and evaluations are taken in its review",
                                       reason: ProposalErrorReason.illegalState)
        }
        return record
    }

    private func closeIfComplete(_ record: inout ProposalRecord, in tx: PostgresTransaction) async throws {
        let evaluated = Set(record.evaluations.map(\.account))
        guard !record.analysis.isEmpty, record.participants.allSatisfy(evaluated.contains) else { return }
        // Late ones close it too; their misses were recorded by the review timer or are now.
        if let due = record.reviewDueAt, clock() > due { try await recordReviewMisses(record, dueAt: due, in: tx) }
        var machine = record.machine
        let effects = try machine.apply(.reviewComplete)
        record.state = machine.state
        try await carryOut(effects, record, in: tx)
    }

    /// The review timer: what is still missing becomes violations, and the matter ends.
    func reviewDeadlinePassed(proposalID: String, dueAt: Int64, in tx: PostgresTransaction) async throws {
        guard var record = try await store.load(proposalID, forUpdate: true, in: tx), record.state == .reviewing else { return }
        var machine = record.machine
        let effects = try machine.apply(.reviewDeadlinePassed)
        record.state = machine.state
        record.updatedAt = clock()
        if effects.contains(.recordReviewViolations) { try await recordReviewMisses(record, dueAt: dueAt, in: tx) }
        try await carryOut(effects, record, in: tx)
        _ = try await tx.run([store.saveStatement(record)])
    }

    private func recordReviewMisses(_ record: ProposalRecord, dueAt: Int64, in tx: PostgresTransaction) async throws {
        let now = clock()
        if record.analysis.isEmpty || (record.analysisAt ?? 0) > dueAt {
            try await recordViolation(ViolationRecord(
                rule: .analysis, person: record.proposer, teamPath: record.teamPath, proposalID: record.id,
                reference: record.id, dueAtMillis: dueAt, recordedAtMillis: now,
                detail: "no effect analysis of proposal \"\(record.title)\" by its deadline"), in: tx)
        }
        let onTime = Set(record.evaluations.filter { $0.submittedAt <= dueAt }.map(\.account))
        for person in record.participants where !onTime.contains(person) {
            try await recordViolation(ViolationRecord(
                rule: .evaluation, person: person, teamPath: record.teamPath, proposalID: record.id,
                reference: record.id, dueAtMillis: dueAt, recordedAtMillis: now,
                detail: "no evaluation of proposal \"\(record.title)\" by its deadline"), in: tx)
        }
    }

    private func carryOut(_ effects: [ProposalStateMachine.Effect], _ record: ProposalRecord, in tx: PostgresTransaction) async throws {
        for effect in effects {
            switch effect {
            case .cancelReviewDeadline: try await timers.cancel(in: tx, kind: TimerKind.review, subjectID: record.id)
            case .cancelExecution: try await cancelExecution(record, in: tx)
            default: break
            }
        }
    }
}

extension FieldViolations {
    /// One field's check, thrown at once.
    static func checking(_ field: String, _ problem: String?) throws {
        var problems = FieldViolations()
        problems.add(field, ifProblem: problem)
        try problems.check()
    }
}
