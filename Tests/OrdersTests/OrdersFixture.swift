import Foundation
import Messages
import Orders
import Postgres
import ProtoCodec
import RPC
import ServiceKit
import ServiceKitStore
import XSCTestSupport
import XCTest

/// A fresh database with the orders schema (ServiceDatabase: own role, platform + service
/// migrations from services/orders/migrations), an OrderFlow on a manual clock, minted actors
/// and the organisation of the tests: two offices (cq-o1, sc-o2) under HQ.
final class OrdersFixture: @unchecked Sendable {
    let database: ServiceDatabase
    let pool: PostgresPool
    let clock = ManualWallClock(startingAt: 1_760_000_000_000)
    let flow: OrderFlow
    private let secret = ActorSecret("orders-tests-secret-0123456789abcdef")!

    static let cqDistrict = "cq-o1-d3"
    static let cqTeam = "/hq/cq/cq-o1/cq-o1-d3/t7"
    static let scDistrict = "sc-o2-d1"
    static let scTeam = "/hq/sc/sc-o2/sc-o2-d1/t1"

    private init(database: ServiceDatabase) {
        self.database = database
        pool = database.pool
        flow = OrderFlow(pool: pool, clock: clock.now)
    }

    static func make(_ testCase: XCTestCase, slaSeconds: Int32 = 0) async throws -> OrdersFixture {
        let fixture = OrdersFixture(database: try await ServiceDatabase.make(testCase, service: "orders", maxConnections: 20))
        try await fixture.seed(slaSeconds: slaSeconds)
        return fixture
    }

    func close() { database.close() }

    // MARK: actors

    func actor(_ account: String, _ role: VerifiedActor.Role, team: String = "") throws -> VerifiedActor {
        try ActorVerifier(secret: secret).verify(ActorMint.mint(secret: secret, accountID: account, role: role, teamPath: team))
    }

    /// An actor as the gateway signs it: the coarse class plus the exact DOMAIN.md role (and a
    /// partner key's channel).
    func gatewayActor(_ account: String, _ role: VerifiedActor.Role, team: String = "", domainRole: String = "",
                      channel: String = "") throws -> VerifiedActor {
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = account
        context.role = role
        context.teamPath = team
        context.requestId = ActorMint.randomRequestID()
        context.expiresAtMs = SystemWallClock.now() + 3_600_000
        context.domainRole = domainRole
        context.partnerChannel = channel
        return try ActorVerifier(secret: secret).verify(ActorSigner(secret: secret).sign(context))
    }

    var admin: VerifiedActor { get throws { try actor("hq-admin", .admin, team: "/hq") } }
    var leadO1: VerifiedActor { get throws { try actor("lead-o1", .staff, team: "/hq/cq/cq-o1") } }
    var districtLeadD3: VerifiedActor { get throws { try actor("dlead-d3", .staff, team: "/hq/cq/cq-o1/cq-o1-d3") } }
    var customerServiceCQ: VerifiedActor { get throws { try actor("cs-cq", .manager, team: "/hq/cq") } }
    var dealer1: VerifiedActor { get throws { try actor("dealer-1", .staff, team: "/dealers/dealer-1") } }
    var leadO2: VerifiedActor { get throws { try actor("lead-o2", .staff, team: "/hq/sc/sc-o2") } }
    var dealer2: VerifiedActor { get throws { try actor("dealer-2", .staff, team: "/dealers/dealer-2") } }
    /// An intermediary on a sibling team of the credited one: only its referrals, limited.
    var referrer: VerifiedActor { get throws { try actor("ref-42", .staff, team: "/hq/cq/cq-o1/cq-o1-d3/t8") } }
    var tmall: VerifiedActor { get throws { try actor("partner-tmall", .partner) } }
    var jd: VerifiedActor { get throws { try actor("partner-jd", .partner) } }
    var system: VerifiedActor { get throws { try actor("service:notifications", .system, team: "/") } }

    // MARK: data

    /// The people the routing names, as the gateway's directory feed would bring them
    /// (routing is checked against it; escalation climbs it).
    static let directory: [(id: String, role: String, node: String)] = [
        ("lead-o1", "office_order_lead", "/hq/cq/cq-o1"), ("dlead-d3", "district_order_lead", "/hq/cq/cq-o1/cq-o1-d3"),
        ("dealer-1", "dealer", "/hq/cq/cq-o1/cq-o1-d3"), ("cs-cq", "customer_service", "/hq/cq"),
        ("lead-o2", "office_order_lead", "/hq/sc/sc-o2"), ("dealer-2", "dealer", "/hq/sc/sc-o2/sc-o2-d1"),
        ("cs-sc", "customer_service", "/hq/sc"),
    ]

    /// What the gateway's directory feed delivers for one account (SetDirectoryEntry).
    func deliverDirectoryEntry(_ accountID: String, name: String, role: String, node: String, enabled: Bool = true,
                               version: Int64) async throws {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = accountID
        entry.name = name
        entry.domainRole = role
        entry.nodePath = node
        entry.enabled = enabled
        entry.version = version
        _ = try await flow.setDirectoryEntry(entry, actor: try actor("service:gateway", .system, team: "/"))
    }

    private func seed(slaSeconds: Int32) async throws {
        let admin = try self.admin
        for (index, person) in Self.directory.enumerated() {
            try await deliverDirectoryEntry(person.id, name: person.id, role: person.role, node: person.node,
                                            version: Int64(index + 1))
        }
        for (id, name) in [("bj-500", "52度 500ml"), ("bj-250", "52度 250ml"), ("retired", "old label")] {
            var request = Xsc_Orders_V1_UpsertSkuRequest()
            var sku = Xsc_Orders_V1_Sku()
            sku.skuId = id
            sku.name = name
            sku.unit = "bottle"
            sku.active = id != "retired"
            request.sku = sku
            _ = try await flow.upsertSKU(request, actor: admin)
        }
        for (region, sku, fen) in [("cq", "bj-500", Int64(12_800)), ("cq", "bj-250", 6_800), ("sc", "bj-500", 13_000), ("cq", "retired", 100)] {
            var request = Xsc_Orders_V1_SetRegionPriceRequest()
            request.regionId = region
            request.skuId = sku
            request.priceFen = fen
            _ = try await flow.setRegionPrice(request, actor: admin)
        }
        for (sku, fen) in [("bj-500", Int64(15_800)), ("bj-250", 8_800)] {
            var request = Xsc_Orders_V1_SetGuidedPriceRequest()
            request.skuId = sku
            request.maxPriceFen = fen
            _ = try await flow.setGuidedPrice(request, actor: admin)
        }
        var cq = Xsc_Orders_V1_DistrictRouting()
        cq.districtId = Self.cqDistrict
        cq.regionId = "cq"
        cq.officeId = "cq-o1"
        cq.creditedTeamPath = Self.cqTeam
        cq.officeLeadAccountIds = ["lead-o1"]
        cq.districtLeadAccountIds = ["dlead-d3"]
        cq.dealerAccountIds = ["dealer-1"]
        cq.escalationAccountIds = ["cs-cq"]
        cq.slaSeconds = slaSeconds
        var sc = Xsc_Orders_V1_DistrictRouting()
        sc.districtId = Self.scDistrict
        sc.regionId = "sc"
        sc.officeId = "sc-o2"
        sc.creditedTeamPath = Self.scTeam
        sc.officeLeadAccountIds = ["lead-o2"]
        sc.dealerAccountIds = ["dealer-2"]
        sc.escalationAccountIds = ["cs-sc"]
        for routing in [cq, sc] {
            var request = Xsc_Orders_V1_SetDistrictRoutingRequest()
            request.routing = routing
            _ = try await flow.setDistrictRouting(request, actor: admin)
        }
    }

    /// A valid order for the cq district: 3 x bj-500 and 1 x bj-250 at the channel's price.
    /// A return visit confirming `actual` (SKU, quantity) with the customer's evaluation.
    static func returnVisit(_ orderID: String, actual: [(String, Int32)], score: Int32 = 5,
                            text: String = "") -> Xsc_Orders_V1_RecordReturnVisitRequest {
        var request = Xsc_Orders_V1_RecordReturnVisitRequest()
        request.orderId = orderID
        request.lines = actual.map { sku, quantity in
            var line = Xsc_Orders_V1_ActualLine()
            line.skuId = sku
            line.actualQuantity = quantity
            return line
        }
        request.evaluationScore = score
        request.evaluationText = text
        return request
    }

    static func orderRequest(source: Xsc_Orders_V1_Source, district: String = cqDistrict, externalID: String = "",
                             referrer: String = "", partner: String = "", phone: String = "+86 138 0013 8000") -> Xsc_Orders_V1_SubmitOrderRequest {
        var request = Xsc_Orders_V1_SubmitOrderRequest()
        request.source = source
        request.externalId = externalID
        request.referrerCode = referrer
        request.partnerId = partner
        var customer = Xsc_Orders_V1_Customer()
        customer.name = "张三"
        customer.phone = phone
        customer.address = "重庆市渝中区解放碑1号"
        request.customer = customer
        request.deliveryDistrictId = district
        let mall = source == .mall
        let region = district == scDistrict ? "sc" : "cq"
        var first = Xsc_Orders_V1_OrderLine()
        first.skuId = "bj-500"
        first.quantity = 3
        first.unitPriceFen = mall ? 15_800 : (region == "sc" ? 13_000 : 12_800)
        request.lines = [first]
        if region == "cq" {
            var second = Xsc_Orders_V1_OrderLine()
            second.skuId = "bj-250"
            second.quantity = 1
            second.unitPriceFen = mall ? 8_800 : 6_800
            request.lines.append(second)
        }
        return request
    }

    /// Submits without an idempotency key; the new (or existing) order.
    /// The SLA timer worker on the fixture's manual clock, run by the test (`runOnce`) - how
    /// "orders was down" looks from inside orders. A handler error fails the test.
    func timerWorker(name: String = "orders-test-timers") throws -> TimerWorker {
        var configuration = TimerWorker.Configuration()
        configuration.reportError = { worker, error in XCTFail("\(worker): \(error)") }
        return try TimerWorker(pool: pool, handlers: flow.timerHandlers, configuration: configuration, clock: clock.now, name: name)
    }

    func submitted(_ request: Xsc_Orders_V1_SubmitOrderRequest, by actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        let response = try await flow.submit(request, actor: actor, idempotencyKey: nil)
        return try XCTUnwrap(response.order)
    }

    /// The SMS requests queued in the outbox, oldest first.
    func smsRequests() async throws -> [Xsc_Notifications_V1_SendRequest] {
        let rows = try await pool.query("""
            SELECT payload FROM xsc_outbox WHERE destination = 'notifications'
              AND method_path = '/xsc.notifications.v1.NotificationService/Send' ORDER BY id
            """)
        return try rows.map { try Xsc_Notifications_V1_SendRequest(serializedBytes: try $0.decode([UInt8].self, at: 0)) }
    }

    /// The payloads queued for `methodPath`, oldest first, with their outbox event ids.
    func outbox<Message: ProtoMessage>(_ methodPath: String, as type: Message.Type) async throws -> [(eventID: String, message: Message)] {
        let rows = try await pool.query("SELECT event_id, payload FROM xsc_outbox WHERE method_path = $1 ORDER BY id", [.text(methodPath)])
        return try rows.map { (try $0.decode(String.self, at: 0), try Message(serializedBytes: try $0.decode([UInt8].self, at: 1))) }
    }

    func smsRequests(forOrder code: String) async throws -> [Xsc_Notifications_V1_SendRequest] {
        try await smsRequests().filter { $0.params["code"] == code }
    }

    func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await pool.query(sql, parameters)[0].decode(Int.self, at: 0)
    }
}

/// Runs `body`, which must fail with an RPCError of `code`; returns the error.
@discardableResult
func expectRPCError<T>(_ code: StatusCode, _ what: String = "", file: StaticString = #filePath, line: UInt = #line,
                       _ body: () async throws -> T) async -> RPCError? {
    do {
        let value = try await body()
        XCTFail("expected \(code) \(what), got \(value)", file: file, line: line)
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, "\(what): \(error.message)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected RPCError \(code) \(what), got \(error)", file: file, line: line)
    }
    return nil
}

extension RPCError {
    /// The BadRequest field names in this error's details.
    var violatedFields: [String] {
        guard let details, let status = try? Google_Rpc_Status(serializedBytes: details) else { return [] }
        return status.details.filter { $0.typeUrl.hasSuffix("google.rpc.BadRequest") }.flatMap { any in
            ((try? Google_Rpc_BadRequest(serializedBytes: any.value))?.fieldViolations ?? []).map(\.field)
        }
    }

    var reason: String? {
        guard let details, let status = try? Google_Rpc_Status(serializedBytes: details) else { return nil }
        return status.details.filter { $0.typeUrl.hasSuffix("google.rpc.ErrorInfo") }.compactMap { try? Google_Rpc_ErrorInfo(serializedBytes: $0.value) }.first?.reason
    }
}
