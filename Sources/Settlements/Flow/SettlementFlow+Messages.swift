import DomainKit
import Messages

/// Rows to proto messages.
extension SettlementFlow {
    static func state(_ stored: String) -> Xsc_Settlements_V1_StatementState {
        switch stored {
        case "draft": .draft
        case "signed": .signed
        case "paid": .paid
        case "archived": .archived
        default: .unspecified
        }
    }

    /// A state filter as stored ("" for every state); an unknown value is INVALID_ARGUMENT.
    static func storedState(_ state: Xsc_Settlements_V1_StatementState) throws -> String {
        switch state {
        case .unspecified: return ""
        case .draft: return "draft"
        case .signed: return "signed"
        case .paid: return "paid"
        case .archived: return "archived"
        case .unrecognized(let value):
            var problems = FieldViolations()
            problems.add("state", "unknown statement state \(value): use DRAFT, SIGNED, PAID or ARCHIVED")
            try problems.check()
            return ""
        }
    }

    static func message(_ row: StatementRow, lines: [LineRow]?, payeeName: String) -> Xsc_Settlements_V1_Statement {
        var message = Xsc_Settlements_V1_Statement()
        message.statementId = row.id
        message.week = row.weekName
        message.periodStartMs = row.periodStartMillis
        message.periodEndMs = row.periodEndMillis
        message.regionId = row.regionID
        message.dealerAccountId = row.dealerAccountID
        message.payeeAccountId = row.payeeAccountID
        message.payeeName = payeeName
        message.state = state(row.state)
        message.totalFen = row.totalFen
        message.payableFen = row.payableFen
        message.carriedForwardFen = min(row.totalFen, 0)
        message.lineCount = Int32(row.lineCount)
        message.signedByAccountId = row.signedBy ?? ""
        message.signedAtMs = row.signedAtMillis ?? 0
        message.paymentReference = row.paymentReference ?? ""
        message.paidOnMs = row.paidOnMillis ?? 0
        message.archivedAtMs = row.archivedAtMillis ?? 0
        message.createdAtMs = row.createdAtMillis
        message.lines = (lines ?? []).map(line)
        return message
    }

    static func line(_ row: LineRow) -> Xsc_Settlements_V1_StatementLine {
        var line = Xsc_Settlements_V1_StatementLine()
        line.lineId = row.id
        line.kind = switch row.kind {
        case "reward": .reward
        case "clawback": .clawback
        case "carry_forward": .carryForward
        default: .unspecified
        }
        line.level = Int32(row.level)
        line.orderId = row.orderID
        line.orderCode = row.orderCode
        line.salesFen = row.salesFen
        line.amountFen = row.amountFen
        line.occurredAtMs = row.occurredAtMillis
        return line
    }

    static func message(_ row: ViolationRow) -> Xsc_Settlements_V1_Violation {
        var message = Xsc_Settlements_V1_Violation()
        message.violationId = row.id
        message.rule = row.rule
        message.personAccountId = row.personAccountID
        message.teamPath = row.teamPath
        message.reference = row.reference
        message.dueAtMs = row.dueAtMillis
        message.recordedAtMs = row.recordedAtMillis
        message.class = row.severity.message
        message.penaltyFen = row.penaltyFen
        message.withdrawn = row.withdrawn
        message.detail = row.detail
        message.source = row.source
        return message
    }

    static func message(_ row: ReimbursementRow) -> Xsc_Settlements_V1_Reimbursement {
        var message = Xsc_Settlements_V1_Reimbursement()
        message.reimbursementId = row.id
        message.regionId = row.regionID
        message.quarter = row.quarter
        message.totalFen = row.totalFen
        message.orderCount = Int32(row.orderCount)
        message.state = switch row.state {
        case "draft": .draft
        case "signed": .signed
        case "paid": .paid
        default: .unspecified
        }
        message.signedByAccountId = row.signedBy ?? ""
        message.signedAtMs = row.signedAtMillis ?? 0
        message.paymentReference = row.paymentReference ?? ""
        message.paidOnMs = row.paidOnMillis ?? 0
        message.paidRecordedByAccountId = row.paidRecordedBy ?? ""
        return message
    }
}
