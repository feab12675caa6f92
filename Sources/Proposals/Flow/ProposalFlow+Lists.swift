import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Lists: the team's proposals, what waits for a person, counts for ancestors; the team's
/// deadlines; the directory feed.
extension ProposalFlow {
    public func list(_ request: Xsc_Proposals_V1_ListProposalsRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_ListProposalsResponse {
        try Self.requireStaff(actor)
        let after = try Self.cursor((request.page?.cursor ?? ""))
        let size = PageCursor.size((request.page?.pageSize ?? 0))
        return try await pool.transaction { tx in
            let rows = try await store.page(team: actor.teamPath, account: actor.accountID, state: request.state.storedName,
                                            after: after, limit: size + 1, in: tx)
            var records = rows.prefix(size).map(\.record)
            try await store.loadParts(of: &records, in: tx)
            var response = Xsc_Proposals_V1_ListProposalsResponse()
            response.proposals = records.map(\.message)
            response.page = PageCursor.info(rows.count > size ? rows.prefix(size).last.map { last in PageCursor.encode(last.key) } : nil)
            return response
        }
    }

    public func myTasks(_ request: Xsc_Proposals_V1_ListMyTasksRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_ListMyTasksResponse {
        try Self.requireStaff(actor)
        let after = try Self.cursor((request.page?.cursor ?? ""))
        let size = PageCursor.size((request.page?.pageSize ?? 0))
        return try await pool.transaction { tx in
            let rows = try await TaskQueries().page(account: actor.accountID, team: actor.teamPath, now: clock(), after: after,
                                                    limit: size + 1, in: tx)
            var response = Xsc_Proposals_V1_ListMyTasksResponse()
            response.tasks = rows.prefix(size).map(\.task)
            response.page = PageCursor.info(rows.count > size ? rows.prefix(size).last.map { last in PageCursor.encode(last.key) } : nil)
            return response
        }
    }

    /// Counts for the caller's node or a node below it; any other node answers NOT_FOUND.
    public func teamCounts(_ request: Xsc_Proposals_V1_TeamCountsRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_TeamCountsResponse {
        try Self.requireStaff(actor)
        let subtree = request.subtree.isEmpty ? actor.teamPath : request.subtree
        guard OrgPath.isWithin(subtree, subtree: actor.teamPath) else { throw DomainErrors.notFound("node", id: subtree) }
        return try await pool.transaction { tx in
            var response = Xsc_Proposals_V1_TeamCountsResponse()
            response.teams = try await CountQueries().counts(subtree: subtree, in: tx)
            return response
        }
    }

    public func teamSettings(_ request: Xsc_Proposals_V1_GetTeamSettingsRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_TeamSettings {
        try Self.requireStaff(actor)
        let team = request.teamPath.isEmpty ? actor.teamPath : request.teamPath
        guard team == actor.teamPath || SettingsAccess.canConfigure(team: team, actorRole: actor.domainRole, actorNode: actor.teamPath) else {
            throw DomainErrors.notFound("team", id: team)
        }
        return try await pool.transaction { tx in try await settings.deadlines(team: team, in: tx).message(teamPath: team) }
    }

    /// A team's admin, or a leader above the team, sets its deadlines (tests set seconds).
    public func setTeamSettings(_ request: Xsc_Proposals_V1_SetTeamSettingsRequest, actor: VerifiedActor) async throws -> Xsc_Proposals_V1_TeamSettings {
        try Self.requireStaff(actor)
        let requested = request.settings ?? Xsc_Proposals_V1_TeamSettings()
        var problems = TeamDeadlines.problems(requested)
        if requested.teamPath.isEmpty { problems.add("settings.team_path", "required: the team's path") }
        try problems.check()
        let team = requested.teamPath
        guard SettingsAccess.canConfigure(team: team, actorRole: actor.domainRole, actorNode: actor.teamPath) else {
            throw DomainErrors.refused(.permissionDenied, "only the team's admin or a leader above the team sets its deadlines",
                                       reason: ProposalErrorReason.notAllowed)
        }
        let deadlines = TeamDeadlines(requested)
        return try await pool.transaction { tx in
            try await settings.save(deadlines, team: team, by: actor.accountID, at: clock(), in: tx)
            return deadlines.message(teamPath: team)
        }
    }

    /// The gateway's directory feed (signed as a system actor only).
    public func setDirectoryEntry(_ entry: Xsc_Common_V1_DirectoryEntry, actor: VerifiedActor) async throws -> Xsc_Common_V1_DirectoryAck {
        guard actor.role == .system else {
            throw DomainErrors.refused(.permissionDenied, "only the gateway feeds the directory", reason: ProposalErrorReason.notAllowed)
        }
        var problems = FieldViolations()
        if entry.accountId.isEmpty { problems.add("account_id", "required") }
        if !entry.nodePath.hasPrefix("/") { problems.add("node_path", "required: a path such as /hq/cq") }
        try problems.check()
        var ack = Xsc_Common_V1_DirectoryAck()
        ack.applied = try await directory.apply(entry)
        return ack
    }

    /// The timer handlers of the proposal area, keyed by timer kind (for `TimerWorker`).
    public var timerHandlers: [String: TimerHandler] {
        [
            TimerKind.decision: { [self] firing, tx in
                try await decisionDeadlinePassed(proposalID: firing.subjectID, dueAt: firing.dueAtMillis, in: tx)
            },
            TimerKind.checkpointReminder: { [self] firing, tx in
                try await checkpointReminderDue(checkpointID: firing.subjectID, in: tx)
            },
            TimerKind.checkpoint: { [self] firing, tx in
                let named = firing.payload.isEmpty ? nil : String(decoding: firing.payload, as: UTF8.self)
                try await checkpointDeadlinePassed(checkpointID: firing.subjectID, proposalID: named, in: tx)
            },
            TimerKind.finish: { [self] firing, tx in
                try await finishReached(proposalID: firing.subjectID, in: tx)
            },
            TimerKind.review: { [self] firing, tx in
                try await reviewDeadlinePassed(proposalID: firing.subjectID, dueAt: firing.dueAtMillis, in: tx)
            },
            TimerKind.noticeAcknowledgement: { [self] firing, tx in
                try await acknowledgementDeadlinePassed(noticeID: firing.subjectID, dueAt: firing.dueAtMillis, in: tx)
            },
        ]
    }
}
