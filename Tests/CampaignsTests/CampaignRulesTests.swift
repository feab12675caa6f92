import Campaigns
import Messages
import RPC
import XCTest

/// Creating campaigns and joining them: prices against HQ's guided maximum, the leader, who
/// may do what, per-person limits, closed campaigns. Real PostgreSQL.
final class CampaignRulesTests: XCTestCase {
    var fixture: CampaignsFixture!

    override func setUp() async throws { fixture = try await CampaignsFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testCreatesACampaignWithAShareCodeAndItsPublicView() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest())
        XCTAssertEqual(campaign.state, .open)
        XCTAssertEqual(campaign.teamPath, CampaignsFixture.team)
        XCTAssertEqual(campaign.shareCode.count, 8)
        XCTAssertEqual(campaign.products.map(\.skuId), ["sku-baijiu", "sku-gift"])
        let publicView = try await fixture.flow.getByShareCode(campaign.shareCode.lowercased(), actor: try fixture.partner)
        XCTAssertEqual(publicView.id, campaign.id)
        XCTAssertEqual(publicView.teamPath, "")
        XCTAssertEqual(publicView.pickupPoints.map(\.pickupPointId), ["p1", "p2"])
        XCTAssertEqual(publicView.pickupPoints.map(\.dealerAccountId), ["", ""])
        // Another team does not see it at all: the answer of a missing campaign.
        do {
            _ = try await fixture.flow.get(campaign.id, actor: try fixture.otherTeam)
            XCTFail("another team read the campaign")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .notFound)
            XCTAssertEqual(error.message, "campaign \(campaign.id) not found")
        }
    }

    func testRefusesAPriceAboveTheGuidedMaximumAndEveryOtherProblemAtOnce() async throws {
        var request = fixture.campaignRequest()
        request.campaign?.products[0].campaignPriceFen = 50_001
        request.campaign?.pickupPoints[1].districtId = "d9"
        request.campaign?.pickupPoints[0].dealerAccountId = "dealer-2"
        do {
            _ = try await fixture.create(request)
            XCTFail("created a campaign above the guided price")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("campaign.products[0].campaign_price_fen"), error.message)
            XCTAssertTrue(error.message.contains("campaign.pickup_points[1].district_id"), error.message)
            XCTAssertTrue(error.message.contains("campaign.pickup_points[0].dealer_account_id"), error.message)
        }
        request = fixture.campaignRequest()
        request.campaign?.leaderAccountId = "leader-x"
        do {
            _ = try await fixture.create(request)
            XCTFail("a leader of another team was accepted")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("not on your team"), error.message)
        }
        do {
            _ = try await fixture.flow.create(fixture.campaignRequest(), actor: try fixture.salesperson, idempotencyKey: nil)
            XCTFail("a salesperson opened a campaign")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .permissionDenied)
        }
    }

    /// A pickup point id is stored only in the shape the handlers let through when it is looked
    /// up again (LookupField's key: ASCII letters, digits, - _ . : @), so no point is created
    /// that PickingList or VerifyPickup could never name.
    func testAPickupPointIdOutsideTheLookupShapeIsRefusedAtCreation() async throws {
        var request = fixture.campaignRequest()
        request.campaign?.pickupPoints[0].pickupPointId = "幸福店"
        request.campaign?.pickupPoints[1].pickupPointId = "p2'--"
        do {
            _ = try await fixture.create(request)
            XCTFail("accepted pickup point ids that cannot be looked up")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("campaign.pickup_points[0].pickup_point_id"), error.message)
            XCTAssertTrue(error.message.contains("campaign.pickup_points[1].pickup_point_id"), error.message)
        }
    }

    /// The point becomes the orders' delivery address: what the order area would refuse at the
    /// deadline (a dead letter) is refused when the campaign is created.
    func testAPointAddressTooLongForTheOrderAreaIsRefusedAtCreation() async throws {
        var request = fixture.campaignRequest()
        request.campaign?.pickupPoints[0].address = String(repeating: "路", count: 141)
        request.campaign?.title = "中秋{团购}"
        do {
            _ = try await fixture.create(request)
            XCTFail("accepted an address the order area refuses")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertTrue(error.message.contains("campaign.pickup_points[0].address"), error.message)
            XCTAssertTrue(error.message.contains("campaign.title"), error.message)
        }
    }

    func testPerPersonLimitHoldsAcrossJoinsOfOnePhone() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(perPerson: 3))
        _ = try await fixture.join(campaign.id, phone: phone(1), lines: [("sku-baijiu", 2)])
        do {
            _ = try await fixture.join(campaign.id, phone: "+86 " + phone(1), lines: [("sku-baijiu", 2)])
            XCTFail("the same phone passed its limit")
        } catch {
            XCTAssertEqual(reason(of: error), "CAMPAIGN_PER_PERSON_LIMIT")
        }
        _ = try await fixture.join(campaign.id, phone: phone(1), lines: [("sku-baijiu", 1)])
        _ = try await fixture.join(campaign.id, phone: phone(2), lines: [("sku-baijiu", 3)])
        let after = try await fixture.flow.get(campaign.id, actor: try fixture.teamAdmin)
        XCTAssertEqual(after.joinedQuantity, 6)
        XCTAssertEqual(after.participants, 3)
    }

    func testJoinIsIdempotentAndPricedByTheCampaign() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest())
        let first = try await fixture.join(campaign.id, phone: phone(7), lines: [("sku-baijiu", 2), ("sku-gift", 1)], key: "k-1")
        let again = try await fixture.join(campaign.id, phone: phone(7), lines: [("sku-baijiu", 2), ("sku-gift", 1)], key: "k-1")
        XCTAssertEqual(first, again)
        XCTAssertEqual(first.totalFen, 2 * 45_000 + 70_000)
        XCTAssertEqual(first.pickupCode.count, 8)
        let after = try await fixture.flow.get(campaign.id, actor: try fixture.leader)
        XCTAssertEqual(after.participants, 1)
        // A partner (mini-program) joins by share code; another team may not join.
        var request = Xsc_Campaigns_V1_JoinCampaignRequest()
        request.shareCode = campaign.shareCode
        request.customerName = "王五"
        request.customerPhone = phone(8)
        request.pickupPointId = "p2"
        var line = Xsc_Campaigns_V1_JoinLine()
        line.skuId = "sku-gift"
        line.quantity = 1
        request.lines = [line]
        _ = try await fixture.flow.join(request, actor: try fixture.partner, idempotencyKey: nil)
        do {
            _ = try await fixture.flow.join(request, actor: try fixture.otherTeam, idempotencyKey: nil)
            XCTFail("another team joined")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .notFound)
        }
    }

    func testNoJoinAfterTheDeadline() async throws {
        let campaign = try await fixture.create(fixture.campaignRequest(deadlineIn: 60_000))
        fixture.advance(to: campaign.deadlineMs)
        do {
            _ = try await fixture.join(campaign.id, phone: phone(1))
            XCTFail("joined after the deadline")
        } catch {
            XCTAssertEqual(reason(of: error), "CAMPAIGN_CLOSED")
        }
    }
}
