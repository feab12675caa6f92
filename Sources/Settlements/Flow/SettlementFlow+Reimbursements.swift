import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Promotion-expense reimbursement per quarter: one per region, with the same sign-off (the
/// regional manager) and a payment record (HQ, an admin).
extension SettlementFlow {
    public func closeQuarter(_ request: Xsc_Settlements_V1_CloseQuarterRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_CloseQuarterResponse {
        guard actor.role == .admin || actor.role == .system else {
            throw DomainErrors.refused(.permissionDenied, "headquarters closes a reimbursement quarter", reason: "HQ_ADMIN_REQUIRED")
        }
        guard BusinessCalendar.isQuarter(request.quarter), let range = calendar.quarterRange(request.quarter) else {
            var violations = FieldViolations()
            violations.add("quarter", "a quarter such as 2026Q4")
            throw violations.error
        }
        guard range.endMillis <= clock() else { throw DomainErrors.illegalState("quarter \(request.quarter) has not ended yet") }
        return try await pool.transaction { tx in
            var response = Xsc_Settlements_V1_CloseQuarterResponse()
            response.closedNow = try await reimbursements.close(quarter: request.quarter, by: actor.accountID, at: clock(), in: tx)
            return response
        }
    }

    public func listReimbursements(_ request: Xsc_Settlements_V1_ListReimbursementsRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ListReimbursementsResponse {
        guard let region = actor.regionID, actor.readsRegionStatements else {
            return Xsc_Settlements_V1_ListReimbursementsResponse()
        }
        var response = Xsc_Settlements_V1_ListReimbursementsResponse()
        response.reimbursements = try await pool.transaction { tx in
            try await reimbursements.list(quarter: request.quarter, region: region, in: tx)
        }.map(Self.message)
        return response
    }

    public func signReimbursement(_ id: String, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_Reimbursement {
        try await pool.transaction { tx in
            guard let row = try await reimbursements.load(id, in: tx), actor.regionID == row.regionID, actor.readsRegionStatements else {
                throw DomainErrors.notFound("reimbursement", id: id)
            }
            guard actor.isRegionalManager else {
                throw DomainErrors.refused(.permissionDenied, "the regional manager signs reimbursements", reason: "REGIONAL_MANAGER_REQUIRED")
            }
            guard row.state == "draft" else { throw DomainErrors.illegalState("reimbursement \(id) is \(row.state) already") }
            try await reimbursements.sign(id, by: actor.accountID, at: clock(), in: tx)
            return Self.message(try await reimbursements.load(id, in: tx)!)
        }
    }

    public func recordReimbursementPayment(_ request: Xsc_Settlements_V1_RecordReimbursementPaymentRequest,
                                           actor: VerifiedActor) async throws -> Xsc_Settlements_V1_Reimbursement {
        guard actor.role == .admin else {
            throw DomainErrors.refused(.permissionDenied, "headquarters records reimbursement payments", reason: "HQ_ADMIN_REQUIRED")
        }
        let reference = request.paymentReference.trimmedForPeople
        var violations = FieldViolations()
        if reference.isEmpty { violations.add("payment_reference", "required") }
        if request.paidOnMs <= 0 { violations.add("paid_on_ms", "required") }
        try violations.check()
        return try await pool.transaction { tx in
            guard let row = try await reimbursements.load(request.reimbursementId, in: tx) else {
                throw DomainErrors.notFound("reimbursement", id: request.reimbursementId)
            }
            guard row.state == "signed" else { throw DomainErrors.illegalState("reimbursement \(row.id) is \(row.state); it is paid once signed") }
            try await reimbursements.recordPayment(row.id, reference: reference, paidOn: request.paidOnMs, by: actor.accountID, in: tx)
            return Self.message(try await reimbursements.load(row.id, in: tx)!)
        }
    }
}
