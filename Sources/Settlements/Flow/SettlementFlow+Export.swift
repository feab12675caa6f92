import DomainKit
import Messages
import ServiceKit

/// The printable statement (CSV, PDF) for whoever may read it.
extension SettlementFlow {
    public func exportStatement(_ request: Xsc_Settlements_V1_ExportStatementRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ExportStatementResponse {
        let statement = try await getStatement(request.statementId, actor: actor).statement ?? Xsc_Settlements_V1_Statement()
        var response = Xsc_Settlements_V1_ExportStatementResponse()
        switch request.format {
        case .csv:
            response.fileName = "statement-\(statement.week)-\(statement.statementId).csv"
            response.contentType = "text/csv; charset=utf-8"
            response.content = StatementDocument.csv(statement)
        case .pdf:
            response.fileName = "statement-\(statement.week)-\(statement.statementId).pdf"
            response.contentType = "application/pdf"
            response.content = try renderPDF(statement)
        default:
            var violations = FieldViolations()
            violations.add("format", "EXPORT_FORMAT_CSV or EXPORT_FORMAT_PDF")
            throw violations.error
        }
        return response
    }

    /// Rendering is CPU work of a few milliseconds per page; it runs on the handler's task.
    func renderPDF(_ statement: Xsc_Settlements_V1_Statement) throws -> [UInt8] {
        do {
            return try StatementPrinter.pdf(statement)
        } catch {
            throw DomainErrors.refused(.internalError, "the PDF could not be rendered; export CSV instead", reason: "PDF_FAILED")
        }
    }
}
