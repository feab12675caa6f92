import ArgumentParser
import Foundation
import Messages
import ServiceAPI

/// `xsc statements`: the weekly sales and payment statements of intermediaries' rewards.
struct StatementsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statements",
        abstract: "Statements: list, show, sign, record payment, download the PDF; earnings, what is due.",
        discussion: """
        The regional manager signs a statement; the dealer records the payment; the office lead \
        prints it (download). A signed statement never changes.
        """,
        subcommands: [List.self, Show.self, Sign.self, Pay.self, Download.self, Earnings.self, Due.self],
        defaultSubcommand: List.self)

    static let notFoundHint = "check the statement id; `xsc statements list` shows the statements you can see"

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The statements you can see.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "Only this week (2026-W49).") var week = ""
        @Option(help: "Only this dealer's (account id).") var dealer = ""
        @Option(help: "Only this payee's (account id).") var payee = ""
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_ListStatementsRequest()
            request.week = week
            request.dealerAccountId = dealer
            request.payeeAccountId = payee
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let statements = try await caller.run { try await client.listStatements(request, options: caller.options()) }.statements
            caller.emit(.object([("statements", .array(statements.map(StatementView.json)))]),
                        text: statements.isEmpty ? "no statements" : StatementView.table(statements))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One statement and its lines.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The statement's id.") var statement: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_GetStatementRequest()
            request.statementId = statement
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let found = try await caller.run(notFound: StatementsCommand.notFoundHint) {
                try await client.getStatement(request, options: caller.options())
            }.statement ?? Xsc_Settlements_V1_Statement()
            caller.emit(StatementView.json(found), text: StatementView.details(found, time: caller.time))
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a statement off (the regional manager).")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The statement's id.") var statement: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_SignStatementRequest()
            request.statementId = statement
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let signed = try await caller.run(notFound: StatementsCommand.notFoundHint, state: "`xsc statements show \(statement)` tells its state (a statement is signed once)") {
                try await client.signStatement(request, options: caller.options(write: true))
            }.statement ?? Xsc_Settlements_V1_Statement()
            caller.emit(StatementView.json(signed), text: "statement \(signed.statementId) signed: \(MoneyText.yuan(signed.payableFen)) to pay to \(signed.payeeName)")
        }
    }

    struct Pay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pay", abstract: "Record the payment of a signed statement (the dealer).",
            aliases: ["record-payment"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The statement's id.") var statement: String
        @Option(help: "The bank transfer's reference.") var reference: String
        @Option(name: .customLong("paid-on"), help: "The day it was paid (2026-12-07; default today).") var paidOn: String?

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_RecordPaymentRequest()
            request.statementId = statement
            request.paymentReference = reference
            request.paidOnMs = try paidOn.map { (text: String) throws(CLIError) -> Int64 in try caller.time.parse(text, option: "--paid-on") }
                ?? caller.time.nowMs
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let paid = try await caller.run(notFound: StatementsCommand.notFoundHint, state: "only a signed, unpaid statement can be paid: `xsc statements show \(statement)`") {
                try await client.recordPayment(request, options: caller.options(write: true))
            }.statement ?? Xsc_Settlements_V1_Statement()
            caller.emit(StatementView.json(paid), text: "payment recorded on statement \(paid.statementId): \(EnumName.of(paid.state))")
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the printed statement (PDF, or CSV) to a file.", aliases: ["pdf"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The statement's id.") var statement: String
        @Option(name: [.short, .long], help: "The file to write (default: the name the system gives, in this folder).",
                completion: .file(extensions: ["pdf", "csv"]))
        var output: String?
        @Flag(help: "CSV instead of PDF.") var csv = false

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_ExportStatementRequest()
            request.statementId = statement
            request.format = csv ? .csv : .pdf
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let file = try await caller.run(notFound: StatementsCommand.notFoundHint) {
                try await client.exportStatement(request, options: caller.options())
            }
            // The system's file name is used only as a plain name in this folder.
            let suggested = (file.fileName as NSString).lastPathComponent
            let path = output ?? (suggested.isEmpty || suggested.hasPrefix(".") ? "statement-\(statement).\(csv ? "csv" : "pdf")" : suggested)
            guard FileManager.default.createFile(atPath: path, contents: Data(file.content)) else {
                throw CLIError.failed("cannot write \(path)")
            }
            caller.emit(.object([("file", .string(path)), ("content_type", .string(file.contentType)), ("bytes", .int(Int64(file.content.count)))]),
                        text: "wrote \(path) (\(file.content.count) bytes, \(file.contentType))")
        }
    }
}
