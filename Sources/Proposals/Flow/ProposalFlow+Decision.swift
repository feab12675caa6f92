import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The decision (DOMAIN.md: the superior decides within 30 minutes, configurable per team):
/// execute or terminate with a comment, proposer and participants told by SMS. A window that
/// ends undecided records a violation against the superiors asked and escalates to the next
/// level; a decision after the first window still counts, marked late.
extension ProposalFlow {
    /// Reading a proposal; a superior asked to decide opening it records the first opening
    /// (the seed's "tell your superior within 5 minutes" is met by the immediate SMS; this
    /// shows when it was actually seen).
    public func get(_ request: Xsc_Proposals_V1_ProposalRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        return try await pool.transaction { tx in
            var record = try await readable(request.proposalId, actor: actor, forUpdate: false, in: tx)
            if record.state == .submitted, record.firstOpenedAt == nil, record.askedDeciders.contains(actor.accountID) {
                let now = clock()
                if try await store.markOpened(record.id, by: actor.accountID, at: now, in: tx) {
                    record.firstOpenedAt = now
                    record.firstOpenedBy = actor.accountID
                }
            }
            return record.message
        }
    }

    public func decide(_ request: Xsc_Proposals_V1_DecideRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Proposals_V1_Proposal {
        try Self.requireStaff(actor)
        let comment = request.comment.trimmedForPeople
        var problems = FieldViolations()
        if request.decision != .execute && request.decision != .terminate {
            problems.add("decision", "required: DECISION_EXECUTE or DECISION_TERMINATE")
        }
        problems.add("comment", ifProblem: PeopleText.multilineProblem(with: comment, maxLength: 1000))
        try problems.check()
        return try await write("DecideProposal", actor: actor, key: idempotencyKey, request: request) { tx in
            var record = try await readable(request.proposalId, actor: actor, forUpdate: true, in: tx)
            guard record.askedDeciders.contains(actor.accountID) else {
                throw DomainErrors.refused(.permissionDenied, "only the superior the proposal was sent to may decide it",
                                           reason: ProposalErrorReason.notAllowed)
            }
            var machine = record.machine
            let execute = request.decision == .execute
            let effects = try machine.apply(.decide(execute: execute))
            let now = clock()
            // The window ended but its timer has not fired yet (the worker polls, or the
            // service was down): the superiors asked still missed it.
            if let due = record.decisionDueAt, now > due,
               try await timers.pendingDue(in: tx, kind: TimerKind.decision, subjectID: record.id) != nil {
                try await recordDecisionMiss(record, dueAt: due, now: now, in: tx)
            }
            record.state = machine.state
            record.updatedAt = now
            record.decision = execute ? "execute" : "terminate"
            record.decisionComment = comment
            record.decidedBy = actor.accountID
            record.decidedAt = now
            record.decisionLate = ProposalAccess.isLate(decidedAt: now, firstDueAt: record.firstDecisionDueAt ?? now)
            for effect in effects {
                switch effect {
                case .cancelDecisionDeadline:
                    try await timers.cancel(in: tx, kind: TimerKind.decision, subjectID: record.id)
                case .notifyOutcome:
                    try await notifier.send("proposal_decision", to: [record.proposer] + record.participants,
                                            params: ["title": record.title, "decision": execute ? "批准执行" : "终止",
                                                     "comment": comment],
                                            teamPath: record.teamPath, in: tx)
                case .scheduleExecution:
                    try await scheduleExecution(record, now: now, in: tx)
                default:
                    break
                }
            }
            return try await saveAndReload(record, in: tx)
        }
    }

    /// The decision timer: the current level's window ended undecided.
    func decisionDeadlinePassed(proposalID: String, dueAt: Int64, in tx: PostgresTransaction) async throws {
        guard var record = try await store.load(proposalID, forUpdate: true, in: tx), record.state == .submitted else {
            return // decided meanwhile
        }
        var machine = record.machine
        let nextLevel = record.escalations + 1 < record.deciderLevels.count
        let effects = try machine.apply(.decisionDeadlinePassed(nextLevel: nextLevel))
        let now = clock()
        for effect in effects {
            switch effect {
            case .recordDecisionViolation:
                try await recordDecisionMiss(record, dueAt: dueAt, now: now, in: tx)
            case .escalate:
                let missedBy = record.currentDeciders
                let deadlines = try await settings.deadlines(team: record.teamPath, in: tx)
                record.escalations += 1
                record.decisionDueAt = now + deadlines.decisionWindowMillis
                record.updatedAt = now
                // The directory read takes a second connection (this runs inside the timer's transaction).
                let proposer = try await directory.person(record.proposer)?.name ?? ""
                try await notifier.send("proposal_escalated", to: record.currentDeciders,
                                        params: ["title": record.title, "proposer": proposer.isEmpty ? record.proposer : proposer,
                                                 "superior": missedBy.joined(separator: ","),
                                                 "minutes": String(max(1, Int((now - (record.submittedAt ?? now)) / 60_000))),
                                                 "due": BusinessCalendar.organisation(timeZone).clockText(record.decisionDueAt ?? now)],
                                        teamPath: record.teamPath, in: tx)
                try await timers.schedule(in: tx, kind: TimerKind.decision, subjectID: record.id,
                                          dueAtMillis: record.decisionDueAt ?? now)
            default:
                break
            }
        }
        _ = try await tx.run([store.saveStatement(record)])
    }

    /// A violation against each superior of the current level.
    func recordDecisionMiss(_ record: ProposalRecord, dueAt: Int64, now: Int64, in tx: PostgresTransaction) async throws {
        for superior in record.currentDeciders {
            try await recordViolation(ViolationRecord(
                rule: .decision, person: superior, teamPath: record.teamPath, proposalID: record.id,
                reference: "\(record.id)/decision/\(record.escalations)", dueAtMillis: dueAt, recordedAtMillis: now,
                detail: "no decision on proposal \"\(record.title)\" within the window"), in: tx)
        }
    }
}
