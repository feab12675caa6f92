import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Execution: every participant reports its result at each checkpoint (a reminder before, a
/// violation after a missed one); the finish opens the review. All deadlines are durable
/// timers, fired once by whichever replica claims them.
extension ProposalFlow {
    /// After "execute": reminders and deadlines of the checkpoints still ahead, and the finish.
    /// Checkpoints whose deadline passed before the decision owe nothing (execution had not
    /// started); their reports are still accepted.
    func scheduleExecution(_ record: ProposalRecord, now: Int64, in tx: PostgresTransaction) async throws {
        let deadlines = try await settings.deadlines(team: record.teamPath, in: tx)
        for checkpoint in record.checkpoints where checkpoint.dueAt > now {
            // The payload names the proposal: the firing locks it without looking it up first.
            try await timers.schedule(in: tx, kind: TimerKind.checkpoint, subjectID: checkpoint.id, dueAtMillis: checkpoint.dueAt,
                                      payload: Array(record.id.utf8))
            let remindAt = checkpoint.at - deadlines.reminderLeadMillis
            if deadlines.reminderLead > 0, remindAt > now {
                try await timers.schedule(in: tx, kind: TimerKind.checkpointReminder, subjectID: checkpoint.id, dueAtMillis: remindAt)
            }
        }
        try await timers.schedule(in: tx, kind: TimerKind.finish, subjectID: record.id, dueAtMillis: record.finishAt)
    }

    func cancelExecution(_ record: ProposalRecord, in tx: PostgresTransaction) async throws {
        for checkpoint in record.checkpoints {
            try await timers.cancel(in: tx, kind: TimerKind.checkpoint, subjectID: checkpoint.id)
            try await timers.cancel(in: tx, kind: TimerKind.checkpointReminder, subjectID: checkpoint.id)
        }
        try await timers.cancel(in: tx, kind: TimerKind.finish, subjectID: record.id)
    }

    public func reportCheckpoint(_ request: Xsc_Proposals_V1_ReportCheckpointRequest, actor: VerifiedActor,
                                 idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let result = request.result.trimmedForPeople
        var problems = FieldViolations()
        if request.checkpointId.isEmpty { problems.add("checkpoint_id", "required: the id of one of the proposal's checkpoints") }
        problems.add("result", ifProblem: PeopleText.multilineProblem(with: result, maxLength: 2000))
        try problems.check()
        return try await write("ReportCheckpoint", actor: actor, key: idempotencyKey, request: request) { tx in
            let record = try await readable(request.proposalId, actor: actor, forUpdate: true, in: tx)
            guard let checkpoint = record.checkpoints.first(where: { $0.id == request.checkpointId }) else {
                throw DomainErrors.notFound("checkpoint", id: request.checkpointId)
            }
            guard record.participants.contains(actor.accountID) else {
                throw DomainErrors.refused(.permissionDenied, "only the proposal's participants report at its checkpoints",
                                           reason: ProposalErrorReason.notAllowed)
            }
            guard record.state == .executing || record.state == .reviewing else {
                throw DomainErrors.refused(.failedPrecondition,
                                           "the proposal is \(record.state.word): reports are taken while it is executed",
                                           reason: ProposalErrorReason.illegalState)
            }
            let now = clock()
            let late = now > checkpoint.dueAt
            let report = ProposalRecord.ReportRecord(checkpointID: checkpoint.id, account: actor.accountID, result: result,
                                                     reportedAt: now, late: late)
            guard try await store.insertReport(report, in: tx) else {
                throw DomainErrors.refused(.alreadyExists, "you already reported at this checkpoint",
                                           reason: ProposalErrorReason.alreadyDone)
            }
            // Late still counts as a miss, whether or not the checkpoint's timer has fired; a
            // checkpoint that passed before the decision was never owed (scheduleExecution).
            if late, let decidedAt = record.decidedAt, checkpoint.dueAt > decidedAt {
                try await recordViolation(checkpointMiss(record, checkpoint, person: actor.accountID, now: now), in: tx)
            }
            return try await saveAndReload(record, in: tx)
        }
    }

    func checkpointMiss(_ record: ProposalRecord, _ checkpoint: ProposalRecord.CheckpointRecord, person: String,
                        now: Int64) -> ViolationRecord {
        ViolationRecord(rule: .checkpoint, person: person, teamPath: record.teamPath, proposalID: record.id,
                        reference: checkpoint.id, dueAtMillis: checkpoint.dueAt, recordedAtMillis: now,
                        detail: "no report at checkpoint \(checkpoint.position + 1) of proposal \"\(record.title)\"")
    }

    /// The checkpoint's deadline: a violation for each participant without a report.
    func checkpointDeadlinePassed(checkpointID: String, proposalID named: String?, in tx: PostgresTransaction) async throws {
        let lookedUp = named == nil ? try await store.proposalID(ofCheckpoint: checkpointID, in: tx) : nil
        guard let proposalID = named ?? lookedUp,
              let record = try await store.load(proposalID, forUpdate: true, in: tx),
              record.state == .executing || record.state == .reviewing,
              let checkpoint = record.checkpoints.first(where: { $0.id == checkpointID }) else { return }
        let reported = Set(checkpoint.reports.map(\.account))
        let now = clock()
        for person in record.participants where !reported.contains(person) {
            try await recordViolation(checkpointMiss(record, checkpoint, person: person, now: now), in: tx)
        }
    }

    /// Before a checkpoint: remind the participants who have not reported yet.
    func checkpointReminderDue(checkpointID: String, in tx: PostgresTransaction) async throws {
        guard let proposalID = try await store.proposalID(ofCheckpoint: checkpointID, in: tx),
              let record = try await store.load(proposalID, forUpdate: false, in: tx), record.state == .executing,
              let checkpoint = record.checkpoints.first(where: { $0.id == checkpointID }) else { return }
        let reported = Set(checkpoint.reports.map(\.account))
        try await notifier.send("proposal_checkpoint_reminder", to: record.participants.filter { !reported.contains($0) },
                                params: ["title": record.title,
                                         "due": BusinessCalendar.organisation(timeZone).clockText(checkpoint.dueAt)],
                                teamPath: record.teamPath, in: tx)
    }

    /// The finish timer (or a closing step that arrives before it): the review opens.
    func finishReached(proposalID: String, in tx: PostgresTransaction) async throws {
        guard var record = try await store.load(proposalID, forUpdate: true, in: tx), record.state == .executing else { return }
        try await openReview(&record, in: tx)
        _ = try await tx.run([store.saveStatement(record)])
    }

    /// executing -> reviewing: the proposer owes the analysis, every participant an evaluation.
    func openReview(_ record: inout ProposalRecord, in tx: PostgresTransaction) async throws {
        var machine = record.machine
        let effects = try machine.apply(.finishReached)
        let now = clock()
        let deadlines = try await settings.deadlines(team: record.teamPath, in: tx)
        record.state = machine.state
        record.updatedAt = now
        // Counted from the finish; from the decision when that came after the finish.
        record.reviewDueAt = max(record.finishAt, record.decidedAt ?? record.finishAt) + deadlines.reviewWindowMillis
        let due = BusinessCalendar.organisation(timeZone).clockText(record.reviewDueAt ?? now)
        for effect in effects where effect == .startReview {
            try await notifier.send("proposal_review_due", to: [record.proposer],
                                    params: ["title": record.title, "what": "效果分析", "due": due],
                                    teamPath: record.teamPath, in: tx)
            try await notifier.send("proposal_review_due", to: record.participants,
                                    params: ["title": record.title, "what": "评价", "due": due],
                                    teamPath: record.teamPath, in: tx)
            try await timers.schedule(in: tx, kind: TimerKind.review, subjectID: record.id, dueAtMillis: record.reviewDueAt ?? now)
        }
    }
}
