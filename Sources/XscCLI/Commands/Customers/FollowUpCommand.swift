import ArgumentParser
import Messages
import ServiceAPI

/// `xsc customers follow-up`: every contact with a customer is recorded.
struct FollowUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow-up",
        abstract: "Record a contact with a customer, or list them.",
        subcommands: [Add.self, List.self],
        defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a follow-up (channel, content, outcome, next follow-up time).",
            discussion: "e.g. xsc customers follow-up add CUSTOMER --channel phone --content \"约好周五送样酒\" --outcome interested --next +3d")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The customer's id.") var customer: String
        @Option(help: "phone, visit, wechat, sms or other.", completion: .list(CustomerView.channels.map(EnumName.of)))
        var channel: String
        @Option(help: "What was said or done.") var content: String
        @Option(help: "interested, ordered, no_answer, declined or call_back.", completion: .list(CustomerView.outcomes.map(EnumName.of)))
        var outcome: String
        @Option(help: "When to follow up next: 2026-12-08 10:00, +3d, ... (you are reminded then).") var next: String?
        @Option(help: "A team member's account id asked to follow up too (SMS and a task); repeat for more.") var ask: [String] = []

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Customers_V1_AddFollowUpRequest()
            request.customerId = customer
            request.channel = try EnumName.parse(channel, among: CustomerView.channels, option: "--channel")
            request.content = content
            request.outcome = try EnumName.parse(outcome, among: CustomerView.outcomes, option: "--outcome")
            if let next { request.nextFollowUpAtMs = try caller.time.parse(next, option: "--next") }
            request.askAccountIds = ask
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            let answer = try await caller.run(notFound: CustomersCommand.notFoundHint) {
                try await client.addFollowUp(request, options: caller.options(write: true))
            }
            let followUp = answer.followUp ?? Xsc_Customers_V1_FollowUp()
            var text = "follow-up recorded (id \(followUp.id))"
            if followUp.nextFollowUpAtMs != 0 { text += "; next follow-up \(caller.time.show(followUp.nextFollowUpAtMs))" }
            if !answer.tasks.isEmpty { text += "; \(answer.tasks.count) colleague(s) asked to follow up" }
            caller.emit(.object([("follow_up", CustomerView.followUpJSON(followUp)),
                                 ("task_ids", .strings(answer.tasks.map(\.id)))]),
                        text: text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A customer's follow-ups, newest first.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The customer's id.") var customer: String
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Customers_V1_ListFollowUpsRequest()
            request.customerId = customer
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            let followUps = try await caller.run(notFound: CustomersCommand.notFoundHint) {
                try await client.listFollowUps(request, options: caller.options())
            }.followUps
            caller.emit(.object([("follow_ups", .array(followUps.map(CustomerView.followUpJSON)))]),
                        text: followUps.isEmpty ? "no follow-ups yet" : CustomerView.followUpTable(followUps, time: caller.time))
        }
    }
}
