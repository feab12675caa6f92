import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// What a payee and a dealer see of their own money.
extension SettlementFlow {
    /// The caller's own lines: pending (accrued, or on a statement not signed yet), approved
    /// (signed) and paid, each with its order code. Only the caller's own, so nothing to refuse.
    public func myEarnings(_ request: Xsc_Settlements_V1_GetMyEarningsRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_GetMyEarningsResponse {
        let (limit, after) = try Self.page(request.page, keyParts: 2)
        // One snapshot for the totals and the lines: under READ COMMITTED a line accrued between
        // the two statements showed in the lines but not in the totals.
        return try await pool.transaction(isolation: .repeatableRead) { tx in
            let totals = try await earnings.totals(payee: actor.accountID, in: tx)
            let rows = try await earnings.lines(payee: actor.accountID, limit: limit,
                                                after: after.map { ($0.millis ?? 0, $0.parts[1]) }, in: tx)
            var response = Xsc_Settlements_V1_GetMyEarningsResponse()
            response.pendingFen = totals.pending
            response.approvedFen = totals.approved
            response.paidFen = totals.paid
            response.lines = rows.map { row in
                var line = Xsc_Settlements_V1_EarningLine()
                line.line = Self.line(row)
                line.state = switch row.statementState {
                case "signed": .approved
                case "paid", "archived": .paid
                default: .pending
                }
                line.statementId = row.statementID ?? ""
                line.week = row.statementWeek ?? calendar.week(containing: row.periodStartMillis).name
                line.dealerAccountId = row.dealerAccountID
                return line
            }
            response.page = Self.pageInfo(limit: limit, returned: rows.count) {
                [String(rows.last?.occurredAtMillis ?? 0), rows.last?.id ?? ""]
            }
            return response
        }
    }

    /// The caller as a dealer: signed statements to pay on Monday, and drafts awaiting signature.
    public func dealerDue(actor: VerifiedActor) async throws -> Xsc_Settlements_V1_GetDealerDueResponse {
        let rows = try await pool.transaction { tx in try await statements.unpaid(dealer: actor.accountID, in: tx) }
        let names = try await directory.people(rows.map(\.payeeAccountID))
        var response = Xsc_Settlements_V1_GetDealerDueResponse()
        response.dueFen = Fen.sum(rows.filter { $0.state == "signed" }.map(\.payableFen)) ?? 0
        response.awaitingSignatureFen = Fen.sum(rows.filter { $0.state == "draft" }.map(\.payableFen)) ?? 0
        response.statements = rows.map { Self.message($0, lines: nil, payeeName: names[$0.payeeAccountID]?.name ?? "") }
        return response
    }

    /// The gateway's directory feed (SYSTEM only: a person must not rename payees).
    public func setDirectoryEntry(_ entry: Xsc_Common_V1_DirectoryEntry, actor: VerifiedActor) async throws -> Xsc_Common_V1_DirectoryAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if entry.accountId.isEmpty { violations.add("account_id", "required") }
        if entry.version <= 0 { violations.add("version", "must be positive") }
        try violations.check()
        var ack = Xsc_Common_V1_DirectoryAck()
        ack.applied = try await directory.apply(entry)
        return ack
    }
}
