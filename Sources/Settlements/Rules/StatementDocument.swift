import DomainKit
import Messages

/// The printable statement as text rows (no I/O): the CSV is these rows; a PDF renderer lays
/// out the same rows. Amounts in yuan with the DomainKit format.
enum StatementDocument {
    static func title(_ statement: Xsc_Settlements_V1_Statement) -> String {
        "中间人奖励结算单 \(statement.week)"
    }

    static func header(_ statement: Xsc_Settlements_V1_Statement) -> [[String]] {
        [["结算单", statement.statementId], ["周期", statement.week], ["片区", statement.regionId],
         ["付款经销商", statement.dealerAccountId],
         ["收款人", statement.payeeName.isEmpty ? statement.payeeAccountId : "\(statement.payeeName) (\(statement.payeeAccountId))"],
         ["状态", stateText(statement.state)]]
    }

    static let lineColumns = ["订单号", "类型", "级别", "实际销售额", "奖励"]

    static func lineRows(_ statement: Xsc_Settlements_V1_Statement) -> [[String]] {
        statement.lines.map { line in
            [line.orderCode, kindText(line.kind), line.level == 0 ? "" : "\(line.level)",
             Fen.yuanText(line.salesFen), Fen.yuanText(line.amountFen)]
        }
    }

    static func totals(_ statement: Xsc_Settlements_V1_Statement) -> [[String]] {
        [["合计", Fen.yuanText(statement.totalFen)], ["应付", Fen.yuanText(statement.payableFen)],
         ["结转", Fen.yuanText(statement.carriedForwardFen)]]
    }

    static func signatureLine(_ statement: Xsc_Settlements_V1_Statement) -> String {
        statement.signedByAccountId.isEmpty ? "片区经理签字：________________" : "片区经理签字：\(statement.signedByAccountId)"
    }

    /// RFC 4180 CSV, UTF-8 with a BOM so spreadsheet programs read the Chinese right.
    static func csv(_ statement: Xsc_Settlements_V1_Statement) -> [UInt8] {
        var rows = header(statement)
        rows.append([])
        rows.append(lineColumns)
        rows += lineRows(statement)
        rows.append([])
        rows += totals(statement)
        rows.append([signatureLine(statement)])
        let text = rows.map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
    }

    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func kindText(_ kind: Xsc_Settlements_V1_LineKind) -> String {
        switch kind {
        case .reward: "奖励"
        case .clawback: "退款冲回"
        case .carryForward: "上期结转"
        default: ""
        }
    }

    static func stateText(_ state: Xsc_Settlements_V1_StatementState) -> String {
        switch state {
        case .draft: "待签字"
        case .signed: "已签字"
        case .paid: "已付款"
        case .archived: "已归档"
        default: ""
        }
    }
}
