import Foundation
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// settlements.close: the week's accrual and its close. Each operation books one visited order
/// (RecordOrderVisited, as orders' outbox delivers it: a reward line for the order's referrer,
/// paid by one of `dealers` dealers to one of `payees` payees, kept as running totals); after
/// the measured window one CloseWeek closes the run's week and its time and statement count
/// are reported beside the throughput. Each run books into its own future week (picked from
/// the run id), so runs repeat on one database. Directly only (RecordOrderVisited is for the
/// services), with a minted regional manager setting the region's reward rule first.
struct SettlementsClose: Workload {
    let system: Metadata
    let manager: Metadata
    let region: String
    let dealers: Int
    let payees: Int
    let percentBasisPoints: Int64
    let weekName: String
    let weekStartMillis: Int64
    let runID: String

    init(_ request: Parameters, access: Access, runID: String) throws {
        try access.requireDirect("RecordOrderVisited is orders' event to settlements (a system actor), which cannot log in at the gateway")
        self.runID = runID
        region = request.string("region", default: "ld")
        dealers = max(1, request.int("dealers", default: 50))
        payees = max(1, request.int("payees", default: 1000))
        percentBasisPoints = Int64(request.int("percent_basis_points", default: 300))
        system = try access.metadata(for: .system("orders"), login: 0, gatewayRole: "")
        manager = try access.metadata(for: Persona(accountID: "load-rm", role: .manager, domainRole: "regional_manager",
                                                   teamPath: "/hq/\(region)"), login: 0, gatewayRole: "")
        let offsetWeeks = Int(UInt64(runID, radix: 36).map { $0 % 2000 } ?? 0) + 2
        (weekName, weekStartMillis) = Self.week(containing: Date().addingTimeInterval(Double(offsetWeeks) * 7 * 86_400))
    }

    /// The region's reward rule, in effect from now (rules are never retroactive).
    func prepare(channel: RPCChannel) async throws {
        var rule = Xsc_Settlements_V1_SetRewardRuleRequest()
        rule.regionId = region
        rule.percentBasisPoints = percentBasisPoints
        var metadata = manager
        metadata.add("idempotency-key", "load-rule-\(runID)")
        _ = try await Xsc_Settlements_V1_SettlementServiceClient(channel: channel)
            .setRewardRule(rule, options: CallOptions(metadata: metadata, timeout: .seconds(30), waitForReady: true))
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        var line = Xsc_Orders_V1_EventLine()
        line.skuId = "load-sku"
        line.quantity = 2
        line.unitPriceFen = 10_000 + Int64(number % 97) * 100
        line.actualQuantity = 2
        line.actualFen = line.unitPriceFen * 2
        var event = Xsc_Orders_V1_OrderVisited()
        event.eventId = "load-\(runID)-\(number)"
        event.orderId = "load-order-\(runID)-\(number)"
        event.orderCode = "L\(number)"
        event.source = .mall
        event.regionId = region
        event.dealerAccountId = "load-dealer-\(number % dealers)"
        event.referrerAccountId = "load-payee-\(number % payees)"
        event.customerPhone = "13800138000"
        event.lines = [line]
        event.orderedFen = line.actualFen
        event.actualFen = line.actualFen
        // Inside the run's week: Monday 01:00 plus up to five days.
        event.visitedAtMs = weekStartMillis + 3_600_000 + Int64(number % 432_000) * 1000
        event.submittedAtMs = event.visitedAtMs - 86_400_000
        event.visitedByAccountId = "load-lead"
        let ack = try await Xsc_Settlements_V1_SettlementServiceClient(channel: channel)
            .recordOrderVisited(event, options: CallOptions(metadata: system, timeout: .seconds(30)))
        _ = ack
        return 1
    }

    /// Closes the run's week (before its end, as a drill would) and reports how long it took.
    func finish(channel: RPCChannel) async throws -> [String: Double] {
        var request = Xsc_Settlements_V1_CloseWeekRequest()
        request.week = weekName
        request.beforeEnd = true
        let started = ContinuousClock.now
        let closed = try await Xsc_Settlements_V1_SettlementServiceClient(channel: channel)
            .closeWeek(request, options: CallOptions(metadata: manager, timeout: .seconds(600)))
        let elapsed = ContinuousClock.now - started
        let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return ["close_ms": millis, "close_statements": Double(closed.statements)]
    }

    /// ISO week name ("2031-W07") and its Monday 00:00 in the organisation's time zone.
    static func week(containing date: Date) -> (String, Int64) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt
        let parts = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
        let monday = calendar.date(from: parts) ?? date
        let name = String(format: "%04d-W%02d", parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0)
        return (name, Int64((monday.timeIntervalSince1970 * 1000).rounded()))
    }
}
