import Campaigns
import Messages
import Postgres
import RPC
import ServiceKitStore
import XCTest

/// The oversell race, the deadline (success and failure, in release batches) and pickup
/// verification. Real PostgreSQL; the deadline fires through the real TimerWorker.
final class CampaignDeadlineTests: XCTestCase {
    var fixture: CampaignsFixture!

    override func setUp() async throws { fixture = try await CampaignsFixture.make(self, releaseBatch: 3) }
    override func tearDown() async throws { fixture?.close() }

    /// 200 concurrent joins for the last 10 units: exactly 10 succeed, every other one is
    /// told it is sold out, and the stock never passes its cap.
    func testTwoHundredConcurrentJoinsForTheLastTenUnits() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(stock: 12))
        _ = try await fixture.join(campaign.id, phone: phone(0), lines: [("sku-baijiu", 2)])
        let fixture = self.fixture!
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 1...200 {
                group.addTask {
                    // Like a client told "busy" (the pool's bounded wait queue), try again.
                    while true {
                        do {
                            _ = try await fixture.join(campaign.id, phone: phone(index))
                            return "ok"
                        } catch where "\(error)".contains("poolExhausted") {
                            try? await Task.sleep(for: .milliseconds(10))
                        } catch {
                            return reason(of: error) ?? "\(error)"
                        }
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        XCTAssertEqual(outcomes.filter { $0 == "ok" }.count, 10)
        XCTAssertEqual(outcomes.filter { $0 == "CAMPAIGN_SOLD_OUT" }.count, 190, Set(outcomes).description)
        let after = try await fixture.flow.get(campaign.id, actor: try fixture.teamAdmin)
        XCTAssertEqual(after.products[0].reserved, 12)
        XCTAssertEqual(after.participants, 11)
    }

    func testSuccessPlacesEveryOrderAndFixesBothLists() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(minQuantity: 5))
        var joined: [Xsc_Campaigns_V1_Participation] = []
        for index in 1...7 {
            joined.append(try await fixture.join(campaign.id, phone: phone(index), point: index % 2 == 0 ? "p2" : "p1",
                                                 lines: index == 3 ? [("sku-baijiu", 1), ("sku-gift", 2)] : [("sku-baijiu", 1)]))
        }
        // Nothing reaches orders before the deadline: the participations are held here.
        var placed = try await fixture.outbox("orders")
        XCTAssertTrue(placed.isEmpty)
        do {
            _ = try await fixture.flow.purchaseList(campaignID: campaign.id, actor: try fixture.teamAdmin)
            XCTFail("lists before the deadline")
        } catch {
            XCTAssertEqual(reason(of: error), "CAMPAIGN_NOT_SUCCEEDED")
        }

        fixture.advance(to: campaign.deadlineMs)
        try await fixture.runTimers()
        let closed = try await fixture.flow.get(campaign.id, actor: try fixture.teamAdmin)
        XCTAssertEqual(closed.state, .succeeded)

        // One PlaceCampaignOrder per participation (7, in release rounds of 3), at campaign prices, the leader as referrer.
        placed = try await fixture.outbox("orders")
        let orders = try placed.map { try Xsc_Orders_V1_PlaceCampaignOrderRequest(serializedBytes: $0.payload) }
        XCTAssertEqual(Set(orders.map(\.participationId)), Set(joined.map(\.id)))
        XCTAssertTrue(orders.allSatisfy { $0.leaderAccountId == "leader-1" && $0.campaignId == campaign.id })
        let third = try XCTUnwrap(orders.first { $0.participationId == joined[2].id })
        XCTAssertEqual(third.lines.map(\.unitPriceFen), [45_000, 70_000])
        XCTAssertEqual(third.deliveryDistrictId, "d3")
        let sms = try await fixture.outbox("notifications").map { try Xsc_Notifications_V1_SendRequest(serializedBytes: $0.payload) }
        XCTAssertEqual(sms.filter { $0.template == "campaign_succeeded" }.count, 7)
        XCTAssertEqual(sms.first { $0.phone == phone(3) }?.params["code"], joined[2].pickupCode)

        // The purchase list per dealer and product, checked against the participations.
        let purchase = try await fixture.flow.purchaseList(campaignID: campaign.id, actor: try fixture.teamAdmin)
        XCTAssertEqual(purchase.lines.map { "\($0.dealerAccountId) \($0.skuId) \($0.quantity) \($0.amountFen)" },
                       ["dealer-1 sku-baijiu 4 180000", "dealer-1 sku-gift 2 140000", "dealer-2 sku-baijiu 3 135000"])
        XCTAssertEqual(purchase.products.map { "\($0.skuId) \($0.quantity)" }, ["sku-baijiu 7", "sku-gift 2"])
        // The dealer sees its own lines and its own point's picking list, phones masked.
        let dealerView = try await fixture.flow.purchaseList(campaignID: campaign.id, actor: try fixture.dealer2)
        XCTAssertEqual(dealerView.lines.map(\.dealerAccountId), ["dealer-2"])
        var picking = Xsc_Campaigns_V1_PickingListRequest()
        picking.campaignId = campaign.id
        let p2 = try await fixture.flow.pickingList(picking, actor: try fixture.dealer2)
        XCTAssertEqual(Set(p2.entries.map(\.pickupPointId)), ["p2"])
        XCTAssertEqual(p2.entries.count, 3)
        XCTAssertTrue(p2.entries.allSatisfy { $0.customerPhone.contains("****") })
        let all = try await fixture.flow.pickingList(picking, actor: try fixture.teamAdmin)
        XCTAssertEqual(all.entries.count, 8)
        XCTAssertEqual(all.entries.filter { $0.participationId == joined[2].id }.map { "\($0.skuId) \($0.quantity)" },
                       ["sku-baijiu 1", "sku-gift 2"])
    }

    func testFailureCancelsEveryParticipationAndTellsEveryParticipant() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(minQuantity: 50))
        for index in 1...7 { _ = try await fixture.join(campaign.id, phone: phone(index)) }
        fixture.advance(to: campaign.deadlineMs)
        try await fixture.runTimers()
        let closed = try await fixture.flow.get(campaign.id, actor: try fixture.teamAdmin)
        XCTAssertEqual(closed.state, .failed)
        var page = Xsc_Campaigns_V1_ListParticipationsRequest()
        page.campaignId = campaign.id
        var size = Xsc_Common_V1_PageRequest()
        size.pageSize = 100
        page.page = size
        let participations = try await fixture.flow.participationsPage(page, actor: try fixture.teamAdmin).participations
        XCTAssertEqual(participations.count, 7)
        XCTAssertTrue(participations.allSatisfy { $0.state == .cancelled && $0.refundDue })
        let placed = try await fixture.outbox("orders")
        XCTAssertTrue(placed.isEmpty)
        let sms = try await fixture.outbox("notifications").map { try Xsc_Notifications_V1_SendRequest(serializedBytes: $0.payload) }
        XCTAssertEqual(Set(sms.filter { $0.template == "campaign_failed" }.map(\.phone)), Set((1...7).map(phone)))
        // A second firing (another replica, a redelivery) changes nothing.
        try await fixture.pool.transaction { tx in
            try await Timers(clock: fixture.clock.now).schedule(in: tx, kind: "campaign-release", subjectID: campaign.id,
                                                                dueAtMillis: fixture.clock.nowMillis())
        }
        try await fixture.runTimers()
        let smsAgain = try await fixture.outbox("notifications")
        XCTAssertEqual(smsAgain.count, 7)
    }

    func testPickupWithAWrongAReusedAndTheRightCode() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(minQuantity: 1))
        let mine = try await fixture.join(campaign.id, phone: phone(1))
        let other = try await fixture.join(campaign.id, phone: phone(2), point: "p2")
        var verify = Xsc_Campaigns_V1_VerifyPickupRequest()
        verify.campaignId = campaign.id
        verify.pickupPointId = "p1"
        verify.pickupCode = mine.pickupCode
        do {
            _ = try await fixture.flow.verifyPickup(verify, actor: try fixture.dealer1)
            XCTFail("collected before the deadline")
        } catch {
            XCTAssertEqual(reason(of: error), "CAMPAIGN_NOT_SUCCEEDED")
        }
        fixture.advance(to: campaign.deadlineMs)
        try await fixture.runTimers()

        var wrong = verify
        wrong.pickupCode = mine.pickupCode == "00000000" ? "00000001" : "00000000"
        do {
            _ = try await fixture.flow.verifyPickup(wrong, actor: try fixture.dealer1)
            XCTFail("a wrong code was accepted")
        } catch {
            XCTAssertEqual(reason(of: error), "PICKUP_CODE_UNKNOWN")
        }
        // Another point's code is wrong here too.
        var elsewhere = verify
        elsewhere.pickupCode = other.pickupCode
        do {
            _ = try await fixture.flow.verifyPickup(elsewhere, actor: try fixture.dealer1)
            XCTFail("another point's code was accepted")
        } catch {
            XCTAssertEqual(reason(of: error), "PICKUP_CODE_UNKNOWN")
        }
        // The leader does not verify; the verification officer of p1 does.
        do {
            _ = try await fixture.flow.verifyPickup(verify, actor: try fixture.leader)
            XCTFail("the leader verified")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
        }
        let collected = try await fixture.flow.verifyPickup(verify, actor: try fixture.officer)
        XCTAssertEqual(collected.state, .collected)
        XCTAssertEqual(collected.collectedBy, "officer-1")
        do {
            _ = try await fixture.flow.verifyPickup(verify, actor: try fixture.dealer1)
            XCTFail("a code was used twice")
        } catch {
            XCTAssertEqual(reason(of: error), "PICKUP_CODE_USED")
        }
        let pickups = try await fixture.outbox("orders").filter { $0.path.hasSuffix("RecordCampaignPickup") }
            .map { try Xsc_Orders_V1_RecordCampaignPickupRequest(serializedBytes: $0.payload) }
        XCTAssertEqual(pickups.map(\.participationId), [mine.id])
        XCTAssertEqual(pickups.map(\.verifiedBy), ["officer-1"])

        // Uncollected after 3 days: only the other one.
        fixture.advance(to: campaign.deadlineMs + 3 * 86_400_000 + 1)
        var list = Xsc_Campaigns_V1_ListParticipationsRequest()
        list.campaignId = campaign.id
        list.uncollectedDays = 3
        let waiting = try await fixture.flow.participationsPage(list, actor: try fixture.teamAdmin).participations
        XCTAssertEqual(waiting.map(\.id), [other.id])
    }

    /// Two replicas' timer workers at the deadline: one decision, each participation released
    /// once (SKIP LOCKED claims; deterministic outbox event ids would refuse a second copy).
    func testTwoReplicasCloseTheCampaignOnce() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(minQuantity: 1))
        for index in 1...10 { _ = try await fixture.join(campaign.id, phone: phone(index)) }
        fixture.advance(to: campaign.deadlineMs)
        let first = try fixture.timerWorker()
        let second = try fixture.timerWorker()
        async let a: Void = { while try await first.runOnce() > 0 {} }()
        async let b: Void = { while try await second.runOnce() > 0 {} }()
        _ = try await (a, b)
        try await fixture.runTimers()
        let placed = try await fixture.outbox("orders")
        XCTAssertEqual(placed.count, 10)
        let states = try await fixture.pool.query("SELECT state, count(*)::int FROM participations GROUP BY state")
        XCTAssertEqual(try states.map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int32.self, at: 1))" }, ["ordered 10"])
    }
}
