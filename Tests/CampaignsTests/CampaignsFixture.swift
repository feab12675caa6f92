import Campaigns
import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import XSCTestSupport
import XCTest

/// Test double of orders' price check: SKU -> guided maximum, district -> dealers.
struct FakeCatalog: OrdersCatalog {
    var guided: [String: Int64] = ["sku-baijiu": 50_000, "sku-gift": 80_000]
    var dealers: [String: [String]] = ["d3": ["dealer-1"], "d4": ["dealer-2"]]

    func check(skus: [String], districts: [String]) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        var response = Xsc_Orders_V1_CheckCampaignPricesResponse()
        for sku in skus {
            var price = Xsc_Orders_V1_CampaignSkuPrice()
            price.skuId = sku
            if let fen = guided[sku] {
                price.known = true
                price.active = true
                price.guidedMaxFen = fen
            }
            response.skus.append(price)
        }
        for district in districts {
            var answer = Xsc_Orders_V1_CampaignDistrict()
            answer.districtId = district
            if let list = dealers[district] {
                answer.known = true
                answer.regionId = "cq"
                answer.dealerAccountIds = list
            }
            response.districts.append(answer)
        }
        return response
    }
}

/// A fresh database with the campaigns schema, a CampaignFlow on a manual clock, the
/// directory holding the team's people, and minted actors.
final class CampaignsFixture: @unchecked Sendable {
    let database: ServiceDatabase
    let pool: PostgresPool
    let clock = ManualWallClock(startingAt: 1_790_000_000_000)
    let flow: CampaignFlow
    private let secret = ActorSecret("campaigns-tests-secret-0123456789abcdef")!

    static let team = "/hq/cq/cq-o1/cq-o1-d3/t7"

    private init(database: ServiceDatabase, releaseBatch: Int) {
        self.database = database
        pool = database.pool
        flow = CampaignFlow(pool: pool, clock: clock.now, catalog: FakeCatalog(), releaseBatch: releaseBatch)
    }

    static func make(_ testCase: XCTestCase, releaseBatch: Int = 500) async throws -> CampaignsFixture {
        let fixture = CampaignsFixture(database: try await ServiceDatabase.make(testCase, service: "campaigns", maxConnections: 40),
                                       releaseBatch: releaseBatch)
        var version: Int64 = 0
        for (id, role, node) in [("leader-1", "intermediary", team), ("leader-x", "intermediary", "/hq/sc/sc-o1/sc-o1-d1/t1"),
                                 ("salesperson-1", "salesperson", team), ("officer-1", "salesperson", "/hq/cq/cq-o1/cq-o1-d3"),
                                 ("dealer-1", "dealer", "/hq/cq/cq-o1/cq-o1-d3"), ("dealer-2", "dealer", "/hq/cq/cq-o1/cq-o1-d4")] {
            version += 1
            var entry = Xsc_Common_V1_DirectoryEntry()
            entry.accountId = id
            entry.name = id
            entry.domainRole = role
            entry.nodePath = node
            entry.enabled = true
            entry.version = version
            _ = try await fixture.flow.setDirectoryEntry(entry, actor: try fixture.system)
        }
        return fixture
    }

    func close() { database.close() }

    func advance(to millis: Int64) {
        clock.advance(by: .milliseconds(millis - clock.nowMillis()))
    }

    func actor(_ account: String, _ role: VerifiedActor.Role, team: String, domainRole: String = "") throws -> VerifiedActor {
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = account
        context.role = role
        context.teamPath = team
        context.requestId = ActorMint.randomRequestID()
        context.expiresAtMs = SystemWallClock.now() + 3_600_000
        context.domainRole = domainRole
        return try ActorVerifier(secret: secret).verify(ActorSigner(secret: secret).sign(context))
    }

    var system: VerifiedActor { get throws { try actor("svc-orders", .system, team: "/") } }
    var teamAdmin: VerifiedActor { get throws { try actor("admin-t7", .staff, team: Self.team, domainRole: "team_admin") } }
    var leader: VerifiedActor { get throws { try actor("leader-1", .staff, team: Self.team, domainRole: "intermediary") } }
    var salesperson: VerifiedActor { get throws { try actor("salesperson-1", .staff, team: Self.team, domainRole: "salesperson") } }
    var dealer1: VerifiedActor { get throws { try actor("dealer-1", .staff, team: "/hq/cq/cq-o1/cq-o1-d3", domainRole: "dealer") } }
    var dealer2: VerifiedActor { get throws { try actor("dealer-2", .staff, team: "/hq/cq/cq-o1/cq-o1-d4", domainRole: "dealer") } }
    var officer: VerifiedActor { get throws { try actor("officer-1", .staff, team: "/hq/cq/cq-o1/cq-o1-d3", domainRole: "salesperson") } }
    var otherTeam: VerifiedActor { get throws { try actor("admin-t8", .staff, team: "/hq/cq/cq-o1/cq-o1-d3/t8", domainRole: "team_admin") } }
    var partner: VerifiedActor { get throws { try actor("partner-mini", .partner, team: "/partners") } }

    /// A campaign: baijiu at 45,000 fen (guided 50,000) with `stock` units, a gift box without
    /// a cap, two points (p1 dealer-1 in d3 with officer-1 as verifier, p2 dealer-2 in d4).
    func campaignRequest(minQuantity: Int32 = 5, stock: Int32 = 0, perPerson: Int32 = 0,
                         deadlineIn millis: Int64 = 3_600_000) -> Xsc_Campaigns_V1_CreateCampaignRequest {
        var campaign = Xsc_Campaigns_V1_Campaign()
        campaign.title = "中秋团购"
        campaign.leaderAccountId = "leader-1"
        var baijiu = Xsc_Campaigns_V1_CampaignProduct()
        baijiu.skuId = "sku-baijiu"
        baijiu.name = "53度 500ml"
        baijiu.campaignPriceFen = 45_000
        baijiu.stockCap = stock
        baijiu.perPersonLimit = perPerson
        var gift = Xsc_Campaigns_V1_CampaignProduct()
        gift.skuId = "sku-gift"
        gift.name = "礼盒"
        gift.campaignPriceFen = 70_000
        campaign.products = [baijiu, gift]
        var p1 = Xsc_Campaigns_V1_PickupPoint()
        p1.pickupPointId = "p1"
        p1.name = "幸福小区便利店"
        p1.address = "渝中区幸福路1号"
        p1.districtId = "d3"
        p1.dealerAccountId = "dealer-1"
        p1.hours = "每天 9:00-18:00"
        p1.contactPhone = "13800138000"
        p1.verifierAccountIds = ["officer-1"]
        var p2 = p1
        p2.pickupPointId = "p2"
        p2.name = "和平小区门卫室"
        p2.districtId = "d4"
        p2.dealerAccountId = "dealer-2"
        p2.verifierAccountIds = []
        campaign.pickupPoints = [p1, p2]
        campaign.deadlineMs = clock.nowMillis() + millis
        campaign.minQuantity = minQuantity
        var request = Xsc_Campaigns_V1_CreateCampaignRequest()
        request.campaign = campaign
        return request
    }

    func create(_ request: Xsc_Campaigns_V1_CreateCampaignRequest) async throws -> Xsc_Campaigns_V1_Campaign {
        try await flow.create(request, actor: try teamAdmin, idempotencyKey: nil)
    }

    func join(_ campaign: String, phone: String, point: String = "p1", lines: [(String, Int32)] = [("sku-baijiu", 1)],
              as actor: VerifiedActor? = nil, key: String? = nil) async throws -> Xsc_Campaigns_V1_Participation {
        var request = Xsc_Campaigns_V1_JoinCampaignRequest()
        request.campaignId = campaign
        request.customerName = "顾客" + phone.suffix(4)
        request.customerPhone = phone
        request.pickupPointId = point
        request.lines = lines.map { sku, quantity in
            var line = Xsc_Campaigns_V1_JoinLine()
            line.skuId = sku
            line.quantity = quantity
            return line
        }
        return try await flow.join(request, actor: try actor ?? leader, idempotencyKey: key)
    }

    func timerWorker() throws -> TimerWorker {
        try TimerWorker(pool: pool, handlers: flow.timerHandlers, clock: clock.now)
    }

    /// Fires every due timer until none is left (the deadline, then each release round).
    func runTimers() async throws {
        let worker = try timerWorker()
        while try await worker.runOnce() > 0 {}
    }

    func outbox(_ destinationPrefix: String) async throws -> [(path: String, payload: [UInt8])] {
        try await pool.query("""
            SELECT method_path, payload FROM xsc_outbox WHERE destination = $1 ORDER BY created_at, event_id
            """, [.text(destinationPrefix)]).map { (try $0.decode(String.self, at: 0), try $0.decode([UInt8].self, at: 1)) }
    }
}

func phone(_ index: Int) -> String { "139" + String(format: "%08d", index) }

func reason(of error: Error) -> String? {
    guard let error = error as? RPCError, let bytes = error.details, let status = try? Google_Rpc_Status(serializedBytes: bytes) else {
        return nil
    }
    return status.details.filter { $0.typeUrl.hasSuffix("ErrorInfo") }
        .compactMap { try? Google_Rpc_ErrorInfo(serializedBytes: $0.value) }.first?.reason
}
