import ArgumentParser
import Messages
import ServiceAPI

/// `xsc violations`: missed deadlines and channel conflicts recorded against people.
struct ViolationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "violations",
        abstract: "Violations: your own, or your team's (--team).",
        subcommands: [List.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Violations recorded against you, or against your team's members.")

        @OptionGroup var options: PeopleOptions
        @Flag(help: "Your team's (your own node's) violations, not only yours.") var team = false
        @Option(help: "Only this person's (account id), within your team.") var person: String?
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Settlements_V1_ListViolationsRequest()
            if team || person != nil {
                request.teamPath = caller.session.nodePath
                request.personAccountId = person ?? ""
            } else {
                request.personAccountId = caller.session.accountID
            }
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let client = Xsc_Settlements_V1_SettlementServiceClient(channel: caller.channel)
            let violations = try await caller.run { try await client.listViolations(request, options: caller.options()) }.violations
            var table = Table("recorded", "rule", "person", "reference", "class", "penalty", "withdrawn")
            for violation in violations {
                table.add(caller.time.show(violation.recordedAtMs), violation.rule, violation.personAccountId, violation.reference,
                          EnumName.of(violation.class), MoneyText.yuan(violation.penaltyFen), violation.withdrawn ? "yes" : "")
            }
            caller.emit(.object([("violations", .array(violations.map { violation in
                .object([("violation_id", .string(violation.violationId)), ("rule", .string(violation.rule)),
                         ("person_account_id", .string(violation.personAccountId)), ("team_path", .string(violation.teamPath)),
                         ("reference", .string(violation.reference)), ("due_at_ms", .int(violation.dueAtMs)),
                         ("recorded_at_ms", .int(violation.recordedAtMs)), ("class", .string(EnumName.of(violation.class))),
                         ("penalty_fen", .int(violation.penaltyFen)), ("withdrawn", .bool(violation.withdrawn)),
                         ("detail", .string(violation.detail)), ("source", .string(violation.source))])
            }))]), text: violations.isEmpty ? "no violations" : table.rendered())
        }
    }
}
