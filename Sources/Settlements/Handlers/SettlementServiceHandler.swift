import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.settlements.v1.SettlementService: identity from the verified actor only, then the flow.
public struct SettlementServiceHandler: Xsc_Settlements_V1_SettlementServiceHandler {
    let flow: SettlementFlow

    public init(flow: SettlementFlow) {
        self.flow = flow
    }

    public func recordOrderVisited(_ request: Xsc_Orders_V1_OrderVisited, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.recordVisited(request, actor: try context.requireActor())
    }

    public func recordOrderRefunded(_ request: Xsc_Orders_V1_OrderRefunded, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.recordRefunded(request, actor: try context.requireActor())
    }

    public func recordViolation(_ request: Xsc_Orders_V1_SlaViolation, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.recordViolation(request, actor: try context.requireActor())
    }

    public func recordViolationWithdrawn(_ request: Xsc_Orders_V1_SlaViolationWithdrawn, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.recordViolationWithdrawn(request, actor: try context.requireActor())
    }

    public func recordProposalViolation(_ request: Xsc_Proposals_V1_ProposalViolation, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.recordProposalViolation(request, actor: try context.requireActor())
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        try await flow.setDirectoryEntry(request, actor: try context.requireActor())
    }

    public func setRewardRule(_ request: Xsc_Settlements_V1_SetRewardRuleRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_RewardRule {
        try await flow.setRewardRule(request, actor: try context.requireActor(), idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func listRewardRules(_ request: Xsc_Settlements_V1_ListRewardRulesRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ListRewardRulesResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId, .key)])
        return try await flow.listRewardRules(request, actor: actor)
    }

    public func setRecruiter(_ request: Xsc_Settlements_V1_SetRecruiterRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_RecruiterResponse {
        try await flow.setRecruiter(request, actor: try context.requireActor(), idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func closeWeek(_ request: Xsc_Settlements_V1_CloseWeekRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_CloseWeekResponse {
        try await flow.closeWeek(request, actor: try context.requireActor())
    }

    public func listStatements(_ request: Xsc_Settlements_V1_ListStatementsRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ListStatementsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("week", request.week, .code(maxLength: 16)), ("dealer_account_id", request.dealerAccountId, .key),
                               ("payee_account_id", request.payeeAccountId, .key), ("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listStatements(request, actor: actor)
    }

    public func getStatement(_ request: Xsc_Settlements_V1_GetStatementRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_StatementResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.statementId, "statement_id")
        return try await flow.getStatement(request.statementId, actor: actor)
    }

    public func signStatement(_ request: Xsc_Settlements_V1_SignStatementRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_StatementResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.statementId, "statement_id")
        return try await flow.signStatement(request.statementId, actor: actor)
    }

    public func recordPayment(_ request: Xsc_Settlements_V1_RecordPaymentRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_StatementResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.statementId, "statement_id")
        return try await flow.recordPayment(request, actor: actor, idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func archiveStatement(_ request: Xsc_Settlements_V1_ArchiveStatementRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_StatementResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.statementId, "statement_id")
        return try await flow.archiveStatement(request.statementId, actor: actor)
    }

    public func exportStatement(_ request: Xsc_Settlements_V1_ExportStatementRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ExportStatementResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.statementId, "statement_id")
        return try await flow.exportStatement(request, actor: actor)
    }

    public func getMyEarnings(_ request: Xsc_Settlements_V1_GetMyEarningsRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_GetMyEarningsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.myEarnings(request, actor: actor)
    }

    public func getDealerDue(_ request: Xsc_Settlements_V1_GetDealerDueRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_GetDealerDueResponse {
        try await flow.dealerDue(actor: try context.requireActor())
    }

    public func closeQuarter(_ request: Xsc_Settlements_V1_CloseQuarterRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_CloseQuarterResponse {
        try await flow.closeQuarter(request, actor: try context.requireActor())
    }

    public func listReimbursements(_ request: Xsc_Settlements_V1_ListReimbursementsRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ListReimbursementsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("quarter", request.quarter, .code(maxLength: 16))])
        return try await flow.listReimbursements(request, actor: actor)
    }

    public func signReimbursement(_ request: Xsc_Settlements_V1_SignReimbursementRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_Reimbursement {
        let actor = try context.requireActor()
        try LookupField.requireID(request.reimbursementId, "reimbursement_id")
        return try await flow.signReimbursement(request.reimbursementId, actor: actor)
    }

    public func recordReimbursementPayment(_ request: Xsc_Settlements_V1_RecordReimbursementPaymentRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_Reimbursement {
        let actor = try context.requireActor()
        try LookupField.requireID(request.reimbursementId, "reimbursement_id")
        return try await flow.recordReimbursementPayment(request, actor: actor)
    }

    public func listViolations(_ request: Xsc_Settlements_V1_ListViolationsRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ListViolationsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("team_path", request.teamPath, .orgPath), ("person_account_id", request.personAccountId, .key), ("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listViolations(request, actor: actor)
    }

    public func violationSummary(_ request: Xsc_Settlements_V1_ViolationSummaryRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ViolationSummaryResponse {
        let actor = try context.requireActor()
        try LookupField.check([("team_path", request.teamPath, .orgPath)])
        return try await flow.violationSummary(request, actor: actor)
    }
}

extension SettlementServiceHandler {
    public func recordChannelConflict(_ request: Xsc_Settlements_V1_RecordChannelConflictRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_Violation {
        try await flow.recordChannelConflict(request, actor: try context.requireActor(),
                                             idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func setTeamPenalty(_ request: Xsc_Settlements_V1_SetTeamPenaltyRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_SetTeamPenaltyResponse {
        try await flow.setTeamPenalty(request, actor: try context.requireActor())
    }
}

extension SettlementServiceHandler {
    public func exportDealerWeek(_ request: Xsc_Settlements_V1_ExportDealerWeekRequest, context: ServerContext) async throws -> Xsc_Settlements_V1_ExportStatementResponse {
        let actor = try context.requireActor()
        try LookupField.check([("dealer_account_id", request.dealerAccountId, .key)])
        return try await flow.exportDealerWeek(request, actor: actor)
    }
}
