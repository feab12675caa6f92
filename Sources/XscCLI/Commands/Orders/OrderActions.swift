import ArgumentParser
import Foundation
import Messages
import RPC
import ServiceAPI

/// The steps of the order flow, each one call through the gateway as the person logged in.
enum OrderStep {
    static let stateHint = "`xsc orders show ORDER` tells its state and whose turn it is"

    /// Runs one step on the order and prints the order as it is now, with the next step.
    static func perform(_ reference: String, caller: Caller, verb: String,
                        _ call: (Xsc_Orders_V1_OrderServiceClient, String) async throws -> Xsc_Orders_V1_OrderResponse) async throws(CLIError) {
        let client = Xsc_Orders_V1_OrderServiceClient(channel: caller.channel)
        let id = try await OrderLookup.resolve(reference, caller: caller)
        let state = stateHint.replacingOccurrences(of: "ORDER", with: reference)
        let order = try await caller.run(notFound: OrderLookup.notFoundHint, state: state) { try await call(client, id) }.order ?? Xsc_Orders_V1_Order()
        let next = OrderTurn.next(order, for: caller.session)
        var text = "order \(order.code) \(verb): now \(EnumName.of(order.state))"
        if let next { text += "; next for you: xsc orders \(next) \(order.code)" }
        caller.emit(OrderView.json(order, nextStep: next), text: text)
    }
}

extension OrdersCommand {
    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack", abstract: "Acknowledge an order (已收到订单), within 5 minutes of the prompt.",
            aliases: ["acknowledge"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            try await OrderStep.perform(order, caller: caller, verb: "acknowledged") { client, id in
                var request = Xsc_Orders_V1_AcknowledgeRequest()
                request.orderId = id
                return try await client.acknowledge(request, options: caller.options(write: true))
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign (forward) an acknowledged order to a dealer or a district lead.",
            aliases: ["forward"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String
        @Option(help: "The account id of the dealer (or district lead) who takes it.") var to: String
        @Flag(name: .customLong("district-lead"), help: "--to is a district-level lead, who acknowledges and assigns in turn (default: a dealer).")
        var districtLead = false

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            try await OrderStep.perform(order, caller: caller, verb: "assigned to \(to)") { client, id in
                var request = Xsc_Orders_V1_AssignRequest()
                request.orderId = id
                request.assigneeAccountId = to
                request.assigneeKind = districtLead ? .districtLead : .dealer
                return try await client.assign(request, options: caller.options(write: true))
            }
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept an order assigned to you (dealers).")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            try await OrderStep.perform(order, caller: caller, verb: "accepted") { client, id in
                var request = Xsc_Orders_V1_AcceptRequest()
                request.orderId = id
                return try await client.accept(request, options: caller.options(write: true))
            }
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an accepted order delivered (dealers).")

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            try await OrderStep.perform(order, caller: caller, verb: "delivered") { client, id in
                var request = Xsc_Orders_V1_MarkDeliveredRequest()
                request.orderId = id
                return try await client.markDelivered(request, options: caller.options(write: true))
            }
        }
    }

    struct Visit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the return visit (回访): what was actually sold and the customer's evaluation.",
            discussion: """
            --sold SKU=N for each line (what the customer actually took, which can differ from \
            the order); with a one-line order, --sold N is enough. --score is the customer's \
            evaluation, 1 to 5.
            e.g. xsc orders visit K7Q2 --sold drill-baijiu-500ml=2 --score 5 --comment "顾客满意"
            """,
            aliases: ["return-visit"])

        @OptionGroup var options: PeopleOptions
        @Argument(help: "The order's id or code.") var order: String
        @Option(help: "SKU=N actually sold (repeat per line), or N for a one-line order.") var sold: [String] = []
        @Option(help: "The customer's evaluation, 1 to 5.") var score: Int32
        @Option(help: "What the customer said.") var comment = ""

        func run() async throws {
            let caller = try Caller.open(options)
            defer { caller.close() }
            let current = try await OrderLookup.get(order, caller: caller)
            let lines = try Self.actualLines(sold, order: current)
            try await OrderStep.perform(current.id, caller: caller, verb: "visited") { client, id in
                var request = Xsc_Orders_V1_RecordReturnVisitRequest()
                request.orderId = id
                request.lines = lines
                request.evaluationScore = score
                request.evaluationText = comment
                return try await client.recordReturnVisit(request, options: caller.options(write: true))
            }
        }

        static func actualLines(_ sold: [String], order: Xsc_Orders_V1_Order) throws(CLIError) -> [Xsc_Orders_V1_ActualLine] {
            let skus = order.lines.map(\.skuId).joined(separator: ", ")
            guard !sold.isEmpty else {
                throw .usage("say what was actually sold: --sold SKU=N for each line (\(skus))")
            }
            if sold.count == 1, let quantity = Int32(sold[0]) {
                guard order.lines.count == 1 else { throw .usage("the order has several lines (\(skus)): give --sold SKU=N for each") }
                var line = Xsc_Orders_V1_ActualLine()
                line.skuId = order.lines[0].skuId
                line.actualQuantity = quantity
                return [line]
            }
            return try sold.map { (text: String) throws(CLIError) -> Xsc_Orders_V1_ActualLine in
                let parts = text.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let quantity = Int32(parts[1]) else {
                    throw .usage("--sold \(text): give SKU=N (the order's SKUs: \(skus))")
                }
                var line = Xsc_Orders_V1_ActualLine()
                line.skuId = String(parts[0])
                line.actualQuantity = quantity
                return line
            }
        }
    }
}
