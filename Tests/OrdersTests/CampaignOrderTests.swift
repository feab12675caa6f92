import Messages
import Orders
import RPC
import ServiceKit
import XCTest

/// What orders does for group-buy campaigns (OrdersFlow+CampaignHold): the price check at
/// creation, placing a succeeded campaign's order (campaign price, never above the guided
/// maximum, the leader as referrer, idempotent on the participation), and closing a collected
/// order as a return visit does. The campaigns service's SYSTEM actor only.
final class CampaignOrderTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    private var campaigns: VerifiedActorProvider { VerifiedActorProvider(fixture: fixture, account: "svc-campaigns") }

    private func placement(_ participation: String, price: Int64 = 11_800) -> Xsc_Orders_V1_PlaceCampaignOrderRequest {
        var request = Xsc_Orders_V1_PlaceCampaignOrderRequest()
        request.campaignId = "c-1"
        request.participationId = participation
        request.customerName = "邻居"
        request.customerPhone = "13900000001"
        request.customerAddress = "自提：幸福小区便利店"
        request.deliveryDistrictId = OrdersFixture.cqDistrict
        request.leaderAccountId = "ref-42"
        var line = Xsc_Orders_V1_CampaignOrderLine()
        line.skuId = "bj-500"
        line.quantity = 2
        line.unitPriceFen = price
        request.lines = [line]
        return request
    }

    func testThePriceCheckAnswersGuidedMaximaAndDistricts() async throws {
        var request = Xsc_Orders_V1_CheckCampaignPricesRequest()
        request.skuIds = ["bj-500", "nope"]
        request.districtIds = [OrdersFixture.cqDistrict, "nowhere"]
        let answer = try await fixture.flow.checkCampaignPrices(request, actor: try campaigns.actor)
        XCTAssertEqual(answer.skus.map { "\($0.skuId) \($0.known) \($0.guidedMaxFen)" }, ["bj-500 true 15800", "nope false 0"])
        XCTAssertEqual(answer.districts.map { "\($0.districtId) \($0.known) \($0.regionId)" }, ["cq-o1-d3 true cq", "nowhere false "])
        do {
            _ = try await fixture.flow.checkCampaignPrices(request, actor: try fixture.admin)
            XCTFail("an admin used the campaigns service's method")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
        }
    }

    func testAPlacedOrderIsAnOrdinaryOrderAtTheCampaignPriceAndPlacedOnce() async throws {
        let placed = try await fixture.flow.placeCampaignOrder(placement("part-1"), actor: try campaigns.actor)
        let order = try XCTUnwrap(placed.order)
        XCTAssertFalse(placed.existing)
        XCTAssertEqual(order.source, .groupbuyPlatform)
        XCTAssertEqual(order.externalId, "part-1")
        XCTAssertEqual(order.referrerCode, "ref-42")
        XCTAssertEqual(order.state, .received)
        XCTAssertEqual(order.lines.map(\.unitPriceFen), [11_800])
        XCTAssertEqual(order.totalFen, 23_600)
        let again = try await fixture.flow.placeCampaignOrder(placement("part-1"), actor: try campaigns.actor)
        XCTAssertTrue(again.existing)
        XCTAssertEqual(again.order?.id, order.id)
        // The acknowledgement deadline runs: it is in the normal five-minute flow.
        let timers = try await fixture.pool.query("SELECT count(*)::int FROM xsc_timers WHERE subject_id = $1", [.text(order.id)])
        XCTAssertEqual(try timers.first?.decode(Int32.self, at: 0), 1)
    }

    func testNeverAboveTheGuidedMaximum() async throws {
        do {
            _ = try await fixture.flow.placeCampaignOrder(placement("part-2", price: 15_801), actor: try campaigns.actor)
            XCTFail("placed above the guided maximum")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("lines[0].unit_price_fen"), error.message)
        }
    }

    func testACollectedOrderIsVisitedWithItsOrderedQuantities() async throws {
        let placed = try await fixture.flow.placeCampaignOrder(placement("part-3"), actor: try campaigns.actor)
        let order = try XCTUnwrap(placed.order)
        var pickup = Xsc_Orders_V1_RecordCampaignPickupRequest()
        pickup.participationId = "part-3"
        pickup.verifiedBy = "dealer-1"
        pickup.collectedAtMs = fixture.clock.nowMillis()
        do {
            _ = try await fixture.flow.recordCampaignPickup(pickup, actor: try campaigns.actor)
            XCTFail("closed before the dealer accepted")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
        }
        _ = try await fixture.flow.acknowledge(orderID: order.id, actor: try fixture.leadO1)
        _ = try await fixture.flow.assign(orderID: order.id, assignee: "dealer-1", kind: .dealer, actor: try fixture.leadO1)
        _ = try await fixture.flow.accept(orderID: order.id, actor: try fixture.dealer1)
        let visited = try await fixture.flow.recordCampaignPickup(pickup, actor: try campaigns.actor)
        XCTAssertEqual(visited.state, .visited)
        XCTAssertEqual(visited.lines.map(\.actualQuantity), [2])
        XCTAssertEqual(visited.actualTotalFen, 23_600)
        let again = try await fixture.flow.recordCampaignPickup(pickup, actor: try campaigns.actor)
        XCTAssertEqual(again.state, .visited)
        let events = try await fixture.pool.query("""
            SELECT count(*)::int FROM xsc_outbox WHERE method_path = '/xsc.settlements.v1.SettlementService/RecordOrderVisited'
            """)
        XCTAssertEqual(try events.first?.decode(Int32.self, at: 0), 1)
    }
}

/// The campaigns service's signed SYSTEM actor, as its outbox relay presents it.
struct VerifiedActorProvider {
    let fixture: OrdersFixture
    let account: String
    var actor: VerifiedActor { get throws { try fixture.actor(account, .system, team: "/") } }
}
