import ArgumentParser
import Messages
import ServiceAPI

/// `xsc customers`: your team's customers and their follow-ups (closed inside the team).
struct CustomersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers",
        abstract: "Customers: create, show, list, follow-ups, and the follow-ups asked of you.",
        discussion: """
        Customers are closed inside your team: another team's customer answers "not found", \
        exactly like a missing id. A customer belongs to the salesperson who registered it first.
        """,
        subcommands: [List.self, Show.self, Create.self, FollowUpCommand.self, Tasks.self],
        defaultSubcommand: List.self)

    static let notFoundHint = "check the customer id; `xsc customers list` shows your team's customers"

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a customer (you become its owner).",
            discussion: "e.g. xsc customers create --name 周先生 --phone 13700000001 --address \"重庆市渝中区解放碑 1 号\" --district cq-o1-d3 --kind gift --grade A")

        @OptionGroup var options: PeopleOptions
        @Option(help: "The customer's name.") var name: String
        @Option(help: "A phone (mobile, or landline with area code); repeat for more, the first is the main one.") var phone: [String] = []
        @Option(help: "The address.") var address = ""
        @Option(help: "The delivery district id (e.g. cq-o1-d3).") var district = ""
        @Option(help: "reception, family_gathering, gift or self_consumption.", completion: .list(CustomerView.kinds.map(EnumName.of)))
        var kind: String?
        @Option(help: "A, B or C.", completion: .list(["A", "B", "C"])) var grade: String?
        @Option(help: "A free label; repeat for more.") var tag: [String] = []

        func run() async throws {
            var input = Xsc_Customers_V1_CustomerInput()
            input.name = name
            input.phones = phone
            input.address = address
            input.districtId = district
            if let kind { input.kind = try EnumName.parse(kind, among: CustomerView.kinds, option: "--kind") }
            if let grade { input.grade = try EnumName.parse(grade, among: CustomerView.grades, option: "--grade") }
            input.tags = tag
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Customers_V1_CreateCustomerRequest()
            request.customer = input
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            let answer = try await caller.run(exists: "a customer belongs to whoever registered it first; search your own with `xsc customers list --phone DIGITS`") {
                try await client.createCustomer(request, options: caller.options(write: true))
            }
            let customer = answer.customer ?? Xsc_Customers_V1_Customer()
            var text = answer.existing ? "you had registered this customer already: nothing changed\n" : "customer registered\n"
            text += CustomerView.details(customer, time: caller.time)
            if !answer.nearDuplicateIds.isEmpty {
                text += "\nresembles \(answer.nearDuplicateIds.count) customer(s) of your team: your team admin will review them"
            }
            caller.emit(.object([("customer", CustomerView.json(customer)), ("existing", .bool(answer.existing)),
                                 ("near_duplicate_ids", .strings(answer.nearDuplicateIds))]),
                        text: text)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One customer and its latest follow-ups.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The customer's id.") var customer: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            var request = Xsc_Customers_V1_GetCustomerRequest()
            request.customerId = customer
            let found = try await caller.run(notFound: CustomersCommand.notFoundHint) {
                try await client.getCustomer(request, options: caller.options())
            }.customer ?? Xsc_Customers_V1_Customer()
            var list = Xsc_Customers_V1_ListFollowUpsRequest()
            list.customerId = found.id
            let followUps = try await caller.run { try await client.listFollowUps(list, options: caller.options()) }.followUps
            var text = CustomerView.details(found, time: caller.time)
            text += followUps.isEmpty ? "\n\nno follow-ups yet" : "\n\n" + CustomerView.followUpTable(followUps, time: caller.time)
            caller.emit(.object([("customer", CustomerView.json(found)),
                                 ("follow_ups", .array(followUps.map(CustomerView.followUpJSON)))]),
                        text: text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your team's customers, newest first.")

        @OptionGroup var options: PeopleOptions
        @Option(help: "Digits of a phone (at least 3 from the start).") var phone = ""
        @Option(help: "Part of the name.") var name = ""
        @Option(help: "A tag.") var tag = ""
        @Option(help: "A, B or C.") var grade: String?
        @Flag(help: "Only the customers you own.") var mine = false
        @Option(help: "At most this many (default 50).") var limit: Int32 = 50

        func run() async throws {
            var request = Xsc_Customers_V1_SearchCustomersRequest()
            request.phone = phone
            request.name = name
            request.tag = tag
            if let grade { request.grade = try EnumName.parse(grade, among: CustomerView.grades, option: "--grade") }
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = limit
            request.page = page
            let caller = try Caller.open(options)
            defer { caller.close() }
            if mine { request.ownerAccountId = caller.session.accountID }
            let client = Xsc_Customers_V1_CustomerServiceClient(channel: caller.channel)
            let customers = try await caller.run { try await client.searchCustomers(request, options: caller.options()) }.customers
            caller.emit(.object([("customers", .array(customers.map(CustomerView.json)))]),
                        text: customers.isEmpty ? "no customers found" : CustomerView.table(customers, time: caller.time))
        }
    }
}
