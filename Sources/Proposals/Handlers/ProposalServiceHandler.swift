import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.proposals.v1.ProposalService: identity from the verified actor only, then the flow.
public struct ProposalServiceHandler: Xsc_Proposals_V1_ProposalServiceHandler {
    let flow: ProposalFlow

    public init(flow: ProposalFlow) {
        self.flow = flow
    }

    private static func key(_ context: ServerContext) -> String? {
        IdempotencyStore.key(from: context.requestMetadata)
    }

    public func createProposal(_ request: Xsc_Proposals_V1_CreateProposalRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        try await flow.create(request, actor: try context.requireActor(), idempotencyKey: Self.key(context))
    }

    public func updateProposal(_ request: Xsc_Proposals_V1_UpdateProposalRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.update(request, actor: actor)
    }

    public func submitProposal(_ request: Xsc_Proposals_V1_ProposalRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.submit(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func getProposal(_ request: Xsc_Proposals_V1_ProposalRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.get(request, actor: actor)
    }

    public func listProposals(_ request: Xsc_Proposals_V1_ListProposalsRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_ListProposalsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.list(request, actor: actor)
    }

    public func decideProposal(_ request: Xsc_Proposals_V1_DecideRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.decide(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func reportCheckpoint(_ request: Xsc_Proposals_V1_ReportCheckpointRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        try LookupField.check([("checkpoint_id", request.checkpointId, .key)])
        return try await flow.reportCheckpoint(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func submitAnalysis(_ request: Xsc_Proposals_V1_SubmitAnalysisRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.submitAnalysis(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func submitEvaluation(_ request: Xsc_Proposals_V1_SubmitEvaluationRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Proposal {
        let actor = try context.requireActor()
        try LookupField.requireID(request.proposalId, "proposal_id")
        return try await flow.submitEvaluation(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func setTeamSettings(_ request: Xsc_Proposals_V1_SetTeamSettingsRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_TeamSettings {
        try await flow.setTeamSettings(request, actor: try context.requireActor())
    }

    public func getTeamSettings(_ request: Xsc_Proposals_V1_GetTeamSettingsRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_TeamSettings {
        let actor = try context.requireActor()
        try LookupField.check([("team_path", request.teamPath, .orgPath)])
        return try await flow.teamSettings(request, actor: actor)
    }

    public func publishNotice(_ request: Xsc_Proposals_V1_PublishNoticeRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Notice {
        try await flow.publishNotice(request, actor: try context.requireActor(), idempotencyKey: Self.key(context))
    }

    public func getNotice(_ request: Xsc_Proposals_V1_NoticeRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Notice {
        let actor = try context.requireActor()
        try LookupField.requireID(request.noticeId, "notice_id")
        return try await flow.getNotice(request, actor: actor)
    }

    public func listNotices(_ request: Xsc_Proposals_V1_ListNoticesRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_ListNoticesResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listNotices(request, actor: actor)
    }

    public func acknowledgeNotice(_ request: Xsc_Proposals_V1_NoticeRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Notice {
        let actor = try context.requireActor()
        try LookupField.requireID(request.noticeId, "notice_id")
        return try await flow.acknowledgeNotice(request, actor: actor)
    }

    public func askQuestion(_ request: Xsc_Proposals_V1_AskQuestionRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Question {
        let actor = try context.requireActor()
        try LookupField.requireID(request.noticeId, "notice_id")
        return try await flow.askQuestion(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func answerQuestion(_ request: Xsc_Proposals_V1_AnswerQuestionRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_Question {
        let actor = try context.requireActor()
        try LookupField.requireID(request.questionId, "question_id")
        return try await flow.answerQuestion(request, actor: actor, idempotencyKey: Self.key(context))
    }

    public func listQuestions(_ request: Xsc_Proposals_V1_ListQuestionsRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_ListQuestionsResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.noticeId, "notice_id")
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listQuestions(request, actor: actor)
    }

    public func listNoticeReads(_ request: Xsc_Proposals_V1_NoticeRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_NoticeReadsResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.noticeId, "notice_id")
        return try await flow.listNoticeReads(request, actor: actor)
    }

    public func listMyTasks(_ request: Xsc_Proposals_V1_ListMyTasksRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_ListMyTasksResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.myTasks(request, actor: actor)
    }

    public func teamCounts(_ request: Xsc_Proposals_V1_TeamCountsRequest, context: ServerContext) async throws -> Xsc_Proposals_V1_TeamCountsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("subtree", request.subtree, .orgPath)])
        return try await flow.teamCounts(request, actor: actor)
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        try await flow.setDirectoryEntry(request, actor: try context.requireActor())
    }
}
