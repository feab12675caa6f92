import ArgumentParser
import Foundation
import Messages
import RPC
import ServiceAPI

/// `xsc orders`: the orders you work on, from acknowledgement to return visit.
struct OrdersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orders",
        abstract: "Orders: what waits for you, show, acknowledge, assign, accept, deliver, return visit.",
        discussion: """
        ORDER is an order's id or its short code (the one in the SMS prompt). The flow: the office \
        lead acknowledges within 5 minutes and assigns to a district lead or a dealer; a district \
        lead acknowledges and assigns in turn; the dealer accepts and delivers; the office lead \
        or the region's customer service makes the return visit.
        """,
        subcommands: [List.self, Show.self, Acknowledge.self, Assign.self, Accept.self, Deliver.self, Visit.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The orders that wait for you (--all: every order you can see).",
            discussion: """
            Waiting for you: a received order (office leads: acknowledge), one assigned to you \
            (district lead: acknowledge; dealer: accept), one you acknowledged (assign), one you \
            accepted (deliver), a delivered one (office lead, customer service: return visit).
            """)

        @OptionGroup var options: PeopleOptions
        @Flag(help: "Every order you can see, not only those waiting for you.") var all = false
        @Option(help: ArgumentHelp("Only orders in this state (received, acknowledged, assigned, accepted, delivered, visited, cancelled, refunded)."),
                completion: .list(OrderStates.all.map(EnumName.of)))
        var state: String?
        @Option(help: "At most this many orders (default 50).") var limit = 50

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            var request = Xsc_Orders_V1_ListOrdersRequest()
            if let state {
                request.state = try EnumName.parse(state, among: OrderStates.all, option: "--state")
            }
            let client = Xsc_Orders_V1_OrderServiceClient(channel: caller.channel)
            var found: [(Xsc_Orders_V1_Order, String?)] = []
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = 100
            // What waits for a person is usually among the newest orders; the scan stops after
            // a bounded number of pages so a region's whole history is never read.
            for _ in 0..<20 {
                request.page = page
                let answer = try await caller.run { try await client.listOrders(request, options: caller.options()) }
                for order in answer.orders {
                    let next = OrderTurn.next(order, for: caller.session)
                    if all || next != nil { found.append((order, next)) }
                }
                page.cursor = answer.page?.nextCursor ?? ""
                if page.cursor.isEmpty || found.count >= limit { break }
            }
            found = Array(found.prefix(max(0, limit)))
            let empty = all ? "no orders you can see" : "nothing waits for you (xsc orders list --all shows every order you can see)"
            caller.emit(.object([("orders", .array(found.map { OrderView.json($0.0, nextStep: $0.1) }))]),
                        text: found.isEmpty ? empty : OrderView.table(found, time: caller.time))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One order: its lines, whose turn it is, its history.")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let found = try await OrderLookup.get(order, caller: caller)
            var request = Xsc_Orders_V1_ListOrderEventsRequest()
            request.orderId = found.id
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = 100
            request.page = page
            let client = Xsc_Orders_V1_OrderServiceClient(channel: caller.channel)
            let events = try await caller.run { try await client.listOrderEvents(request, options: caller.options()) }.events
            let next = OrderTurn.next(found, for: caller.session)
            var json = OrderView.json(found, nextStep: next)
            if case .object(var members) = json {
                members.append(("events", .array(events.map(OrderView.event))))
                json = .object(members)
            }
            caller.emit(json, text: OrderView.details(found, nextStep: next, events: events, time: caller.time))
        }
    }
}

enum OrderStates {
    static let all: [Xsc_Orders_V1_OrderState] = [.received, .acknowledged, .assigned, .accepted, .delivered, .visited, .cancelled, .refunded]
}

/// Finds an order by id or by its short code (codes are looked up among the orders the caller
/// can see, newest first).
enum OrderLookup {
    static let notFoundHint = "check the order id or code; `xsc orders list --all` shows the orders you can see"

    static func get(_ reference: String, caller: Caller) async throws(CLIError) -> Xsc_Orders_V1_Order {
        let client = Xsc_Orders_V1_OrderServiceClient(channel: caller.channel)
        let id = try await resolve(reference, caller: caller)
        var request = Xsc_Orders_V1_GetOrderRequest()
        request.orderId = id
        return try await caller.run(notFound: notFoundHint) { try await client.getOrder(request, options: caller.options()) }.order
            ?? Xsc_Orders_V1_Order()
    }

    /// The order id for an id or a code.
    static func resolve(_ reference: String, caller: Caller) async throws(CLIError) -> String {
        // Ids are UUIDs; anything shorter is taken for a code.
        if reference.count >= 32 { return reference }
        let client = Xsc_Orders_V1_OrderServiceClient(channel: caller.channel)
        var request = Xsc_Orders_V1_ListOrdersRequest()
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 100
        for _ in 0..<50 {
            request.page = page
            let answer = try await caller.run { try await client.listOrders(request, options: caller.options()) }
            if let match = answer.orders.first(where: { $0.code.caseInsensitiveCompare(reference) == .orderedSame }) {
                return match.id
            }
            page.cursor = answer.page?.nextCursor ?? ""
            if page.cursor.isEmpty { break }
        }
        let failure = RPCFailure(RPCError(code: .notFound, message: "no order \(reference) among the orders you can see"),
                                 gateway: caller.address, hint: notFoundHint)
        if caller.json { print(failure.json.rendered()) }
        throw .refused(failure)
    }
}
