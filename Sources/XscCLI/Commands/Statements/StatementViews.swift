import Messages

/// How statements read: JSON with the proto's field names, and text.
enum StatementView {
    static func json(_ statement: Xsc_Settlements_V1_Statement) -> JSONValue {
        .object([
            ("statement_id", .string(statement.statementId)),
            ("week", .string(statement.week)),
            ("state", .string(EnumName.of(statement.state))),
            ("region_id", .string(statement.regionId)),
            ("dealer_account_id", .string(statement.dealerAccountId)),
            ("payee_account_id", .string(statement.payeeAccountId)),
            ("payee_name", .string(statement.payeeName)),
            ("total_fen", .int(statement.totalFen)),
            ("payable_fen", .int(statement.payableFen)),
            ("carried_forward_fen", .int(statement.carriedForwardFen)),
            ("line_count", .int(statement.lineCount)),
            ("signed_by_account_id", .string(statement.signedByAccountId)),
            ("signed_at_ms", .int(statement.signedAtMs)),
            ("payment_reference", .string(statement.paymentReference)),
            ("paid_on_ms", .int(statement.paidOnMs)),
            ("archived_at_ms", .int(statement.archivedAtMs)),
            ("period_start_ms", .int(statement.periodStartMs)),
            ("period_end_ms", .int(statement.periodEndMs)),
            ("lines", .array(statement.lines.map { line in
                .object([("line_id", .string(line.lineId)), ("kind", .string(EnumName.of(line.kind))), ("level", .int(line.level)),
                         ("order_id", .string(line.orderId)), ("order_code", .string(line.orderCode)),
                         ("sales_fen", .int(line.salesFen)), ("amount_fen", .int(line.amountFen)),
                         ("occurred_at_ms", .int(line.occurredAtMs))])
            })),
        ])
    }

    static func table(_ statements: [Xsc_Settlements_V1_Statement]) -> String {
        var table = Table("week", "payee", "state", "total", "payable", "lines", "id")
        for statement in statements {
            table.add(statement.week, statement.payeeName, EnumName.of(statement.state), MoneyText.yuan(statement.totalFen),
                      MoneyText.yuan(statement.payableFen), String(statement.lineCount), statement.statementId)
        }
        return table.rendered()
    }

    static func details(_ statement: Xsc_Settlements_V1_Statement, time: TimeText) -> String {
        var fields = Fields()
        fields.add("statement", "\(statement.week) for \(statement.payeeName) (id \(statement.statementId))")
        fields.add("state", EnumName.of(statement.state))
        fields.add("period", "\(time.day(statement.periodStartMs)) to \(time.day(statement.periodEndMs - 1))")
        fields.add("dealer", statement.dealerAccountId)
        fields.add("total", MoneyText.yuan(statement.totalFen))
        fields.add("payable", MoneyText.yuan(statement.payableFen))
        if statement.carriedForwardFen != 0 { fields.add("carried forward", MoneyText.yuan(statement.carriedForwardFen)) }
        if statement.signedAtMs != 0 { fields.add("signed", "\(time.show(statement.signedAtMs)) by \(statement.signedByAccountId)") }
        if statement.paidOnMs != 0 { fields.add("paid", "\(time.day(statement.paidOnMs)), reference \(statement.paymentReference)") }
        var text = fields.rendered()
        if !statement.lines.isEmpty {
            var table = Table("order", "kind", "level", "sales", "amount", "at")
            for line in statement.lines {
                table.add(line.orderCode, EnumName.of(line.kind), String(line.level), MoneyText.yuan(line.salesFen),
                          MoneyText.yuan(line.amountFen), time.show(line.occurredAtMs))
            }
            text += "\n\n" + table.rendered()
        }
        return text
    }
}
