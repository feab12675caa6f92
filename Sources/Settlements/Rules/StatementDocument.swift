import DomainKit
import Messages

/// What a printed statement says (amounts in yuan with the DomainKit format).
enum StatementDocument {
    /// One payee's statement with one dealer: its lines, total, payable, carry.
    static func table(_ statement: Xsc_Settlements_V1_Statement) -> PrintableTable {
        PrintableTable(
            title: "中间人奖励结算单 \(statement.week)",
            header: [("结算单", statement.statementId), ("周期", statement.week), ("片区", statement.regionId),
                     ("付款经销商", statement.dealerAccountId), ("收款人", payee(statement)), ("状态", stateText(statement.state))],
            columns: ["订单号", "类型", "级别", "实际销售额", "奖励"],
            rows: statement.lines.map { line in
                [line.orderCode, kindText(line.kind), line.level == 0 ? "" : "\(line.level)",
                 Fen.yuanText(line.salesFen), Fen.yuanText(line.amountFen)]
            },
            totals: [("合计", Fen.yuanText(statement.totalFen)), ("应付", Fen.yuanText(statement.payableFen)),
                     ("结转", Fen.yuanText(statement.carriedForwardFen))],
            signature: signature(signedBy: statement.signedByAccountId))
    }

    /// The office lead's sales and payment statement of one dealer's week: every payee's sales
    /// lines and reward, each payee's subtotal, and what the dealer pays in all.
    static func dealerWeek(_ statements: [Xsc_Settlements_V1_Statement], week: String, dealer: String,
                           dealerName: String) -> PrintableTable {
        var rows: [[String]] = []
        for statement in statements {
            for line in statement.lines {
                rows.append([payee(statement), line.orderCode, kindText(line.kind), Fen.yuanText(line.salesFen),
                             Fen.yuanText(line.amountFen)])
            }
            rows.append([payee(statement), "小计（应付 \(Fen.yuanText(statement.payableFen))）", "",
                         Fen.yuanText(statement.lines.reduce(0) { $0 + $1.salesFen }), Fen.yuanText(statement.totalFen)])
        }
        let payable = Fen.sum(statements.map(\.payableFen)) ?? 0
        let sales = Fen.sum(statements.flatMap { $0.lines.map(\.salesFen) }) ?? 0
        let signedBy = Set(statements.map(\.signedByAccountId)).count == 1 ? statements.first?.signedByAccountId ?? "" : ""
        return PrintableTable(
            title: "销售及付款结算单 \(week)",
            header: [("周期", week), ("付款经销商", dealerName.isEmpty ? dealer : "\(dealerName) (\(dealer))"),
                     ("收款人数", "\(statements.count)")],
            columns: ["收款人", "订单号", "类型", "实际销售额", "奖励"],
            rows: rows,
            totals: [("实际销售额合计", Fen.yuanText(sales)), ("本周应付合计", Fen.yuanText(payable))],
            signature: signature(signedBy: signedBy))
    }

    static func payee(_ statement: Xsc_Settlements_V1_Statement) -> String {
        statement.payeeName.isEmpty ? statement.payeeAccountId : "\(statement.payeeName) (\(statement.payeeAccountId))"
    }

    static func signature(signedBy: String) -> String {
        signedBy.isEmpty ? "片区经理签字：________________    日期：__________" : "片区经理签字：\(signedBy)"
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
