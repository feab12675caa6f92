import DomainKit
import Messages
import ServiceKit

/// The printable statements (CSV, PDF) for whoever may read them.
extension SettlementFlow {
    public func exportStatement(_ request: Xsc_Settlements_V1_ExportStatementRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ExportStatementResponse {
        let statement = try await getStatement(request.statementId, actor: actor).statement ?? Xsc_Settlements_V1_Statement()
        return try Self.export(StatementDocument.table(statement), name: "statement-\(statement.week)-\(statement.statementId)",
                               format: request.format)
    }

    /// A dealer's week as the office lead prints it: the statements of that dealer and week the
    /// caller may read (the dealer itself, or its region's readers); none readable: NOT_FOUND.
    public func exportDealerWeek(_ request: Xsc_Settlements_V1_ExportDealerWeekRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ExportStatementResponse {
        guard calendar.week(named: request.week) != nil else {
            var violations = FieldViolations()
            violations.add("week", "an ISO week such as 2026-W49")
            throw violations.error
        }
        var listRequest = Xsc_Settlements_V1_ListStatementsRequest()
        listRequest.week = request.week
        listRequest.dealerAccountId = request.dealerAccountId
        var statements: [Xsc_Settlements_V1_Statement] = []
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = Int32(Self.maxPageSize)
        repeat {
            listRequest.page = page
            let listed = try await listStatements(listRequest, actor: actor)
            for summary in listed.statements where Self.mayReadAsDealerOrRegion(summary, actor) {
                if let full = try await getStatement(summary.statementId, actor: actor).statement { statements.append(full) }
            }
            page.cursor = listed.page?.nextCursor ?? ""
        } while !page.cursor.isEmpty
        guard !request.dealerAccountId.isEmpty, !statements.isEmpty else {
            throw DomainErrors.notFound("dealer week", id: "\(request.week)/\(request.dealerAccountId)")
        }
        statements.sort { ($0.payeeName, $0.payeeAccountId) < ($1.payeeName, $1.payeeAccountId) }
        let dealerName = try await directory.people([request.dealerAccountId])[request.dealerAccountId]?.name ?? ""
        let table = StatementDocument.dealerWeek(statements, week: request.week, dealer: request.dealerAccountId, dealerName: dealerName)
        return try Self.export(table, name: "dealer-week-\(request.week)-\(request.dealerAccountId)", format: request.format)
    }

    /// A payee sees its own statements, not the dealer's whole week.
    static func mayReadAsDealerOrRegion(_ statement: Xsc_Settlements_V1_Statement, _ actor: VerifiedActor) -> Bool {
        actor.accountID == statement.dealerAccountId || (actor.readsRegionStatements && actor.regionID == statement.regionId)
    }

    static func export(_ table: PrintableTable, name: String, format: Xsc_Settlements_V1_ExportFormat) throws -> Xsc_Settlements_V1_ExportStatementResponse {
        var response = Xsc_Settlements_V1_ExportStatementResponse()
        switch format {
        case .csv:
            response.fileName = name + ".csv"
            response.contentType = "text/csv; charset=utf-8"
            response.content = table.csv()
        case .pdf:
            response.fileName = name + ".pdf"
            response.contentType = "application/pdf"
            // Rendering is CPU work of milliseconds per page, on the handler's task.
            do {
                response.content = try StatementPrinter.pdf(table)
            } catch {
                throw DomainErrors.refused(.internalError, "the PDF could not be rendered; export CSV instead", reason: "PDF_FAILED")
            }
        default:
            var violations = FieldViolations()
            violations.add("format", "EXPORT_FORMAT_CSV or EXPORT_FORMAT_PDF")
            throw violations.error
        }
        return response
    }
}
