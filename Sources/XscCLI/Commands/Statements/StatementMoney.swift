import ArgumentParser
import Messages
import ServiceAPI

extension StatementsCommand {
    /// What a payee (intermediary, alliance lead) has earned: pending, approved, paid.
    struct Earnings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Your rewards: pending (not yet signed), approved (signed, unpaid) and paid.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "At most this many lines (default 50).") var limit: Int32 = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_GetMyEarningsRequest()
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let earnings = try await caller.run { try await client.getMyEarnings(request, options: caller.options()) }
            var fields = Fields()
            fields.add("pending", MoneyText.yuan(earnings.pendingFen))
            fields.add("approved", MoneyText.yuan(earnings.approvedFen))
            fields.add("paid", MoneyText.yuan(earnings.paidFen))
            var table = Table("week", "order", "level", "amount", "state", "statement")
            for entry in earnings.lines {
                let line = entry.line ?? Xsc_Settlements_V1_StatementLine()
                table.add(entry.week, line.orderCode, String(line.level), MoneyText.yuan(line.amountFen), EnumName.of(entry.state),
                          entry.statementId)
            }
            caller.emit(.object([
                ("pending_fen", .int(earnings.pendingFen)), ("approved_fen", .int(earnings.approvedFen)),
                ("paid_fen", .int(earnings.paidFen)),
                ("lines", .array(earnings.lines.map { entry in
                    let line = entry.line ?? Xsc_Settlements_V1_StatementLine()
                    return .object([("week", .string(entry.week)), ("order_code", .string(line.orderCode)),
                                    ("order_id", .string(line.orderId)), ("level", .int(line.level)),
                                    ("amount_fen", .int(line.amountFen)), ("state", .string(EnumName.of(entry.state))),
                                    ("statement_id", .string(entry.statementId)), ("dealer_account_id", .string(entry.dealerAccountId))])
                })),
            ]), text: fields.rendered() + (earnings.lines.isEmpty ? "" : "\n\n" + table.rendered()))
        }
    }

    /// What a dealer pays on Monday: signed, unpaid statements; drafts awaiting signature.
    struct Due: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What you pay (dealers): signed, unpaid statements, and drafts awaiting the signature.")

        @OptionGroup var options: PeopleOptions

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let due = try await caller.run {
                try await client.getDealerDue(Xsc_Settlements_V1_GetDealerDueRequest(), options: caller.options())
            }
            var fields = Fields()
            fields.add("to pay", MoneyText.yuan(due.dueFen))
            fields.add("awaiting signature", MoneyText.yuan(due.awaitingSignatureFen))
            caller.emit(.object([("due_fen", .int(due.dueFen)), ("awaiting_signature_fen", .int(due.awaitingSignatureFen)),
                                 ("statements", .array(due.statements.map(StatementView.json)))]),
                        text: fields.rendered() + (due.statements.isEmpty ? "" : "\n\n" + StatementView.table(due.statements)))
        }
    }
}
