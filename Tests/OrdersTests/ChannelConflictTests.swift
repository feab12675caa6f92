import Foundation
import Messages
import Orders
import Postgres
import RPC
import ServiceAPI
import ServiceKit
import XCTest

/// The channel-conflict guard (DOMAIN.md "Channel conflicts", seed 003) on a real database:
/// intake flags the same customer and SKU through two channels within the region's window, and
/// a reorder elsewhere after a refund; the reviewer classes a flag (settlements'
/// RecordChannelConflict queued in the outbox) or dismisses it.
final class ChannelConflictTests: XCTestCase {
    private var fixture: OrdersFixture!
    private var flow: OrderFlow { fixture.flow }
    private let phone = "13912345678"

    override func setUp() async throws {
        fixture = try await OrdersFixture.make(self)
    }

    override func tearDown() async throws {
        fixture.close()
    }

    private var regionalManager: VerifiedActor {
        get throws { try fixture.gatewayActor("rm-cq", .manager, team: "/hq/cq", domainRole: "regional_manager") }
    }

    private func mall(_ external: String, phone: String? = nil) async throws -> Xsc_Orders_V1_Order {
        try await fixture.submitted(OrdersFixture.orderRequest(source: .mall, externalID: external, phone: phone ?? self.phone),
                                    by: try fixture.tmall)
    }

    /// A staff-entered order of `source` (alliance carries a referrer), optionally of one SKU only.
    private func staff(_ source: Xsc_Orders_V1_Source = .alliance, phone: String? = nil,
                       skuOnly: String? = nil) async throws -> Xsc_Orders_V1_Order {
        var request = OrdersFixture.orderRequest(source: source, referrer: source == .alliance ? "ref-42" : "",
                                                 phone: phone ?? self.phone)
        if let skuOnly { request.lines = request.lines.filter { $0.skuId == skuOnly } }
        return try await fixture.submitted(request, by: try fixture.leadO1)
    }

    private func alliance(phone: String? = nil, skuOnly: String? = nil) async throws -> Xsc_Orders_V1_Order {
        try await staff(.alliance, phone: phone, skuOnly: skuOnly)
    }

    private func open() async throws -> [Xsc_Orders_V1_ChannelConflict] {
        try await flow.listChannelConflicts(Xsc_Orders_V1_ListChannelConflictsRequest(), actor: try regionalManager).conflicts
    }

    private func review(_ id: String, _ conflictClass: Xsc_Orders_V1_ConflictClass, person: String = "dealer-1",
                        dismiss: Bool = false, by actor: VerifiedActor? = nil) async throws -> Xsc_Orders_V1_ChannelConflict {
        var request = Xsc_Orders_V1_ClassChannelConflictRequest()
        request.conflictId = id
        request.class = conflictClass
        request.personAccountId = dismiss ? "" : person
        request.dismiss = dismiss
        request.detail = "顾客确认经销商劝其退单后改在商城下单"
        return try await flow.classChannelConflict(request, actor: try actor ?? regionalManager)
    }

    func testTheSameCustomerAndSkuThroughTwoChannelsIsFlaggedOnce() async throws {
        let first = try await mall("TM-1")
        // The same channel again, or another customer: no flag.
        let second = try await mall("TM-2")
        _ = try await alliance(phone: "13987654321")
        let value1 = try await open().count
        XCTAssertEqual(value1, 0)
        // Another channel with a common SKU: one flag per earlier order, naming the common SKUs.
        let later = try await alliance(skuOnly: "bj-250")
        let flags = try await open()
        XCTAssertEqual(Set(flags.map(\.earlier?.orderCode)), Set([first.code, second.code]))
        let flag = try XCTUnwrap(flags.first { $0.earlier?.orderId == first.id })
        XCTAssertEqual(flag.kind, .twoChannels)
        XCTAssertEqual(flag.state, .open)
        XCTAssertEqual(flag.order?.orderCode, later.code)
        XCTAssertEqual(flag.customerPhone, phone)
        XCTAssertEqual(flag.skuIds, ["bj-250"])
        XCTAssertEqual(flag.earlier?.source, "mall")
        XCTAssertEqual(flag.earlier?.partnerId, "partner-tmall")
        XCTAssertEqual(flag.order?.source, "alliance")
        XCTAssertEqual(flag.regionId, "cq")
        // A resubmission of a mall order adds nothing.
        _ = try await mall("TM-1")
        let value2 = try await fixture.count("SELECT count(*) FROM channel_conflicts")
        XCTAssertEqual(value2, 2)
    }

    func testNoCommonSkuNoFlagAndAnotherPartnerIsAnotherChannel() async throws {
        let other = "13711112222"
        _ = try await staff(.alliance, phone: other, skuOnly: "bj-500")
        _ = try await staff(.phone, phone: other, skuOnly: "bj-250")
        let value3 = try await open().count
        XCTAssertEqual(value3, 0, "no SKU in common")
        _ = try await staff(.phone, phone: other, skuOnly: "bj-500")
        let value4 = try await open().map(\.order?.source)
        XCTAssertEqual(value4, ["phone"])
        // Tmall and JD are two channels of one source.
        _ = try await mall("TM-J", phone: "13733334444")
        _ = try await fixture.submitted(OrdersFixture.orderRequest(source: .mall, externalID: "JD-J", phone: "13733334444"),
                                        by: try fixture.jd)
        let flags = try await open().filter { $0.customerPhone == "13733334444" }
        XCTAssertEqual(flags.map(\.earlier?.partnerId), ["partner-tmall"])
        XCTAssertEqual(flags.map(\.order?.partnerId), ["partner-jd"])
    }

    func testTheRegionsWindowBoundsTheGuard() async throws {
        var settings = Xsc_Orders_V1_SetRegionSettingsRequest()
        var region = Xsc_Orders_V1_RegionSettings()
        region.regionId = "cq"
        region.channelConflictWindowHours = 2
        settings.settings = region
        let value5 = try await flow.setRegionSettings(settings, actor: try regionalManager).channelConflictWindowHours
        XCTAssertEqual(value5, 2)
        _ = try await mall("TM-W")
        fixture.clock.advance(by: .seconds(3 * 3_600))
        _ = try await alliance()
        let value6 = try await open().count
        XCTAssertEqual(value6, 0, "three hours later is outside a two-hour window")

        region.channelConflictWindowHours = 0
        settings.settings = region
        let value7 = try await flow.setRegionSettings(settings, actor: try regionalManager).channelConflictWindowHours
        XCTAssertEqual(value7, 168)
        _ = try await alliance()
        let value8 = try await open().count
        XCTAssertEqual(value8, 1, "within the default seven days of the mall order")
        region.channelConflictWindowHours = 9_000
        settings.settings = region
        let refused = await expectRPCError(.invalidArgument) { try await self.flow.setRegionSettings(settings, actor: try self.regionalManager) }
        XCTAssertEqual(refused?.violatedFields, ["settings.channel_conflict_window_hours"])
    }

    func testARefundThenAReorderElsewhereIsFlagged() async throws {
        let lead = try fixture.leadO1
        let own = try await alliance()
        _ = try await flow.acknowledge(orderID: own.id, actor: lead)
        _ = try await flow.assign(orderID: own.id, assignee: "dealer-1", kind: .dealer, actor: lead)
        _ = try await flow.accept(orderID: own.id, actor: try fixture.dealer1)
        _ = try await flow.markDelivered(orderID: own.id, actor: try fixture.dealer1)
        _ = try await flow.recordReturnVisit(OrdersFixture.returnVisit(own.id, actual: [("bj-500", 3), ("bj-250", 1)]), actor: lead)
        // Eight days on (outside the window from the order) the customer is talked into a refund...
        fixture.clock.advance(by: .seconds(8 * 86_400))
        _ = try await flow.refund(orderID: own.id, reason: "顾客要求退货", actor: try fixture.customerServiceCQ)
        // ...and reorders through the mall: inside the window from the refund.
        let reorder = try await mall("TM-R")
        let flags = try await open()
        XCTAssertEqual(flags.count, 1)
        XCTAssertEqual(flags.first?.kind, .refundReorder)
        XCTAssertEqual(flags.first?.earlier?.state, "refunded")
        XCTAssertEqual(flags.first?.order?.orderId, reorder.id)
        XCTAssertEqual(flags.first?.skuIds, ["bj-250", "bj-500"])
        // A cancelled order never conflicts.
        let cancelled = try await staff(.phone, phone: "13755556666")
        _ = try await flow.cancel(orderID: cancelled.id, reason: "下错单", actor: lead)
        _ = try await mall("TM-C", phone: "13755556666")
        let value9 = try await open().count
        XCTAssertEqual(value9, 1)
    }

    func testAReviewerClassesAFlagIntoSettlementsLedgerOnce() async throws {
        _ = try await mall("TM-V")
        _ = try await alliance()
        let value10 = try await open().first
        let flag = try XCTUnwrap(value10)
        let path = Xsc_Settlements_V1_SettlementServiceClient.Paths.recordChannelConflict

        // Only HQ and the region's own manager review; another region's manager finds nothing.
        await expectRPCError(.permissionDenied) { try await self.flow.listChannelConflicts(.init(), actor: try self.fixture.leadO1) }
        let otherManager = try fixture.gatewayActor("rm-sc", .manager, team: "/hq/sc", domainRole: "regional_manager")
        let value11 = try await flow.listChannelConflicts(.init(), actor: otherManager).conflicts.count
        XCTAssertEqual(value11, 0)
        await expectRPCError(.notFound) { try await self.review(flag.id, .general, by: otherManager) }
        // Severe is HQ's decision; a person orders does not know, or of another region, is not found.
        await expectRPCError(.permissionDenied) { try await self.review(flag.id, .severe) }
        await expectRPCError(.notFound) { try await self.review(flag.id, .serious, person: "nobody") }
        await expectRPCError(.notFound) { try await self.review(flag.id, .serious, person: "dealer-2") }
        let missing = await expectRPCError(.invalidArgument) { try await self.review(flag.id, .unspecified) }
        XCTAssertEqual(missing?.violatedFields, ["class"])
        let value12 = try await fixture.outbox(path, as: Xsc_Settlements_V1_RecordChannelConflictRequest.self).count
        XCTAssertEqual(value12, 0)

        let classed = try await review(flag.id, .serious)
        XCTAssertEqual(classed.state, .classed)
        XCTAssertEqual(classed.class, .serious)
        XCTAssertEqual(classed.personAccountId, "dealer-1")
        XCTAssertEqual(classed.reviewedByAccountId, "rm-cq")
        let sent = try await fixture.outbox(path, as: Xsc_Settlements_V1_RecordChannelConflictRequest.self)
        XCTAssertEqual(sent.count, 1)
        XCTAssertEqual(sent.first?.message.personAccountId, "dealer-1")
        XCTAssertEqual(sent.first?.message.class, .serious)
        XCTAssertEqual(sent.first?.message.reference, flag.order?.orderCode)
        XCTAssertEqual(sent.first?.message.occurredAtMs, flag.order?.createdAtMs)
        XCTAssertTrue(sent.first?.message.detail.contains("经销商劝其退单") ?? false)

        // The same review again answers the same; another is refused; nothing more is sent.
        let value13 = try await review(flag.id, .serious).reviewedAtMs
        XCTAssertEqual(value13, classed.reviewedAtMs)
        await expectRPCError(.failedPrecondition) { try await self.review(flag.id, .general) }
        let value14 = try await fixture.outbox(path, as: Xsc_Settlements_V1_RecordChannelConflictRequest.self).count
        XCTAssertEqual(value14, 1)
        let value15 = try await open().count
        XCTAssertEqual(value15, 0)
        var classedOnes = Xsc_Orders_V1_ListChannelConflictsRequest()
        classedOnes.state = .classed
        let value16 = try await flow.listChannelConflicts(classedOnes, actor: try regionalManager).conflicts.map(\.id)
        XCTAssertEqual(value16, [flag.id])
    }

    func testHQClassesSevereAndADismissedFlagSendsNothing() async throws {
        _ = try await mall("TM-S")
        _ = try await alliance()
        _ = try await alliance(phone: "13700001111")
        _ = try await mall("TM-D", phone: "13700001111")
        let flags = try await open()
        XCTAssertEqual(flags.count, 2)
        let severe = try await review(flags[0].id, .severe, by: try fixture.admin)
        XCTAssertEqual(severe.class, .severe)
        let dismissed = try await review(flags[1].id, .unspecified, dismiss: true)
        XCTAssertEqual(dismissed.state, .dismissed)
        let sent = try await fixture.outbox(Xsc_Settlements_V1_SettlementServiceClient.Paths.recordChannelConflict,
                                            as: Xsc_Settlements_V1_RecordChannelConflictRequest.self)
        XCTAssertEqual(sent.map(\.message.class), [.severe])
    }
}
