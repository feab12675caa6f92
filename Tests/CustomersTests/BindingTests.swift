import Customers
import Messages
import RPC
import XCTest

/// Orders' events and the permanent binding: the first referrer keeps the customer for good.
final class BindingTests: XCTestCase {
    static func customerSeen(_ id: String, phone: String, team: String = CustomersFixture.teamA, salesperson: String = "",
                             referrer: String = "", name: String = "顾客 周") -> Xsc_Orders_V1_CustomerSeen {
        var event = Xsc_Orders_V1_CustomerSeen()
        event.eventId = id
        event.orderId = "order-" + id
        event.source = .alliance
        event.customerName = name
        event.customerPhone = phone
        event.customerAddress = "重庆市渝中区解放碑 1 号"
        event.districtId = "cq-o1-d3"
        event.creditedTeamPath = team
        event.salespersonAccountId = salesperson
        event.submittedByAccountId = "partner-x"
        event.referrerAccountId = referrer
        event.seenAtMs = 1_760_000_000_000
        return event
    }

    static func referrerSeen(_ id: String, phone: String, referrer: String) -> Xsc_Orders_V1_ReferrerSeen {
        var event = Xsc_Orders_V1_ReferrerSeen()
        event.eventId = id
        event.referrerAccountId = referrer
        event.orderId = "order-" + id
        event.source = .alliance
        event.customerPhone = phone
        event.creditedTeamPath = CustomersFixture.teamA
        event.seenAtMs = 1_760_000_000_000
        return event
    }

    func rewardee(_ fixture: CustomersFixture, _ phone: String) async throws -> String {
        var request = Xsc_Customers_V1_GetRewardeeRequest()
        request.customerPhone = phone
        return try await fixture.flow.rewardee(request, actor: try fixture.system).intermediaryAccountId
    }

    func testTheFirstReferrerIsBoundForGoodWhateverTheOrderOfEvents() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let system = try fixture.system
        // The referral arrives before the customer.
        let first = try await fixture.flow.referrerSeen(Self.referrerSeen("e1", phone: "13700000001", referrer: "ref-1"), actor: system)
        XCTAssertTrue(first.applied)
        let redelivered = try await fixture.flow.referrerSeen(Self.referrerSeen("e1", phone: "13700000001", referrer: "ref-1"), actor: system)
        XCTAssertFalse(redelivered.applied)
        let rewardedBefore = try await rewardee(fixture, "13700000001")
        XCTAssertEqual(rewardedBefore, "ref-1")

        let seen = try await fixture.flow.customerSeen(Self.customerSeen("e2", phone: "13700000001", referrer: "ref-2"), actor: system)
        XCTAssertTrue(seen.applied)
        let again = try await fixture.flow.customerSeen(Self.customerSeen("e2", phone: "13700000001", referrer: "ref-2"), actor: system)
        XCTAssertFalse(again.applied)
        _ = try await fixture.flow.referrerSeen(Self.referrerSeen("e3", phone: "+86 137 0000 0001", referrer: "ref-3"), actor: system)
        let rewarded = try await rewardee(fixture, "137-0000-0001")
        XCTAssertEqual(rewarded, "ref-1")

        // The partner order's customer is in the credited team's list, ownerless until a salesperson claims it.
        var search = Xsc_Customers_V1_SearchCustomersRequest()
        search.phone = "13700000001"
        let listed = try await fixture.flow.search(search, actor: try fixture.salesA)
        XCTAssertEqual(listed.customers.count, 1)
        XCTAssertEqual(listed.customers.first?.origin, "order")
        XCTAssertEqual(listed.customers.first?.ownerAccountId, "")
        XCTAssertEqual(listed.customers.first?.binding?.intermediaryAccountId, "ref-1")
        let claimed = try await fixture.create(CustomersFixture.input("顾客 周", phones: ["13700000001"]), by: try fixture.salesA2)
        XCTAssertTrue(claimed.existing)
        XCTAssertEqual(claimed.customer?.ownerAccountId, "sales-a2")
        // Another team cannot claim it.
        await expectRPCError(.alreadyExists) { try await fixture.create(CustomersFixture.input(phones: ["13700000001"]), by: try fixture.salesB) }

        let count = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(count, 1)
        await expectRPCError(.permissionDenied, "events are for services") {
            try await fixture.flow.customerSeen(Self.customerSeen("e9", phone: "13700000009"), actor: try fixture.salesA)
        }
        await expectRPCError(.permissionDenied, "rewardee is for services") {
            var request = Xsc_Customers_V1_GetRewardeeRequest()
            request.customerPhone = "13700000001"
            return try await fixture.flow.rewardee(request, actor: try fixture.salesA)
        }
    }

    func testASalespersonsOrderMakesTheCustomerTheirs() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        _ = try await fixture.flow.customerSeen(Self.customerSeen("e1", phone: "13700000002", salesperson: "sales-a1"), actor: try fixture.system)
        var search = Xsc_Customers_V1_SearchCustomersRequest()
        search.ownerAccountId = "sales-a1"
        let mine = try await fixture.flow.search(search, actor: try fixture.salesA)
        XCTAssertEqual(mine.customers.map(\.phones), [["13700000002"]])
        let nobody = try await rewardee(fixture, "13700000002")
        XCTAssertEqual(nobody, "")
    }

    func testReferralCodesAndManualBinding() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let code = try await fixture.flow.myReferralCode(actor: try fixture.intermediary)
        XCTAssertEqual(code.code.count, 6)
        XCTAssertTrue(code.code.allSatisfy { "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains($0) })
        let same = try await fixture.flow.myReferralCode(actor: try fixture.intermediary)
        XCTAssertEqual(same.code, code.code)
        await expectRPCError(.permissionDenied) { try await fixture.flow.myReferralCode(actor: try fixture.salesA) }

        var resolve = Xsc_Customers_V1_ResolveReferralCodeRequest()
        resolve.code = " " + code.code.lowercased().prefix(3) + "-" + code.code.lowercased().dropFirst(3)
        let resolved = try await fixture.flow.resolveReferralCode(resolve, actor: try fixture.salesB)
        XCTAssertEqual(resolved.accountId, "ref-1")
        resolve.code = "0OIL11"
        await expectRPCError(.invalidArgument) { try await fixture.flow.resolveReferralCode(resolve, actor: try fixture.salesA) }

        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)
        var bind = Xsc_Customers_V1_BindIntermediaryRequest()
        bind.customerId = customer.id
        bind.referralCode = code.code
        let bound = try await fixture.flow.bind(bind, actor: try fixture.salesA)
        XCTAssertEqual(bound.customer?.binding?.intermediaryAccountId, "ref-1")
        XCTAssertEqual(bound.customer?.binding?.source, "manual")
        _ = try await fixture.flow.bind(bind, actor: try fixture.salesA) // the same again: fine
        bind.referralCode = ""
        bind.intermediaryAccountId = "sales-a2"
        await expectRPCError(.invalidArgument, "not an intermediary") { try await fixture.flow.bind(bind, actor: try fixture.salesA) }
        _ = try await fixture.flow.referrerSeen(Self.referrerSeen("e1", phone: "13800138000", referrer: "ref-9"), actor: try fixture.system)
        let rewarded = try await rewardee(fixture, "13800138000")
        XCTAssertEqual(rewarded, "ref-1")

        // A phone added later brings the referral that was waiting for it to an unbound customer.
        let other = try unwrap(try await fixture.create(CustomersFixture.input("李四", phones: ["13900000001"], address: "别处"), by: try fixture.salesA).customer)
        _ = try await fixture.flow.referrerSeen(Self.referrerSeen("e2", phone: "13900000002", referrer: "ref-7"), actor: try fixture.system)
        var update = Xsc_Customers_V1_UpdateCustomerRequest()
        update.customerId = other.id
        update.customer = CustomersFixture.input("李四", phones: ["13900000001", "13900000002"], address: "别处")
        let updated = try await fixture.flow.update(update, actor: try fixture.salesA)
        XCTAssertEqual(updated.customer?.binding?.intermediaryAccountId, "ref-7")
    }

    /// An order's event and a salesperson's registration of the same new phone at once: one
    /// customer, the salesperson's; an event that lost the race is retried (ABORTED) and links.
    func testAnEventRacingARegistrationMakesOneCustomer() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let system = try fixture.system
        let sales = try fixture.salesA
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                let phone = "1350000000\(index)"
                group.addTask {
                    while true {
                        do {
                            _ = try await fixture.flow.customerSeen(Self.customerSeen("race-\(index)", phone: phone, referrer: "ref-1"), actor: system)
                            return
                        } catch let error as RPCError where error.code == .aborted {
                            continue // the relay would deliver it again
                        }
                    }
                }
                group.addTask {
                    let answer = try await fixture.create(CustomersFixture.input("抢\(index)", phones: [phone], address: "路\(index)"), by: sales)
                    XCTAssertEqual(answer.customer?.ownerAccountId, "sales-a1")
                }
            }
            try await group.waitForAll()
        }
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 10)
        let owned = try await fixture.count("SELECT count(*) FROM customers WHERE owner_account_id = 'sales-a1' AND bound_intermediary = 'ref-1'")
        XCTAssertEqual(owned, 10)
    }

    /// Orders' relay may deliver a later order's referral first: the earlier order's referrer
    /// is the first, before and after the customer exists; a manual binding stays.
    func testTheEarliestOrdersReferrerWinsWhenEventsArriveOutOfOrder() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let system = try fixture.system
        func seen(_ id: String, _ phone: String, _ referrer: String, at: Int64) async throws {
            var event = Self.referrerSeen(id, phone: phone, referrer: referrer)
            event.seenAtMs = at
            _ = try await fixture.flow.referrerSeen(event, actor: system)
        }
        let t = Int64(1_760_000_000_000)
        try await seen("a1", "13700000011", "ref-late", at: t + 60_000)
        try await seen("a2", "13700000011", "ref-early", at: t)
        try await seen("a3", "13700000011", "ref-later", at: t + 120_000)
        let unclaimed = try await rewardee(fixture, "13700000011")
        XCTAssertEqual(unclaimed, "ref-early")

        _ = try await fixture.create(CustomersFixture.input(phones: ["13700000022"]), by: try fixture.salesA)
        try await seen("b1", "13700000022", "ref-late", at: t + 60_000)
        try await seen("b2", "13700000022", "ref-early", at: t)
        try await seen("b3", "13700000022", "ref-later", at: t + 120_000)
        let bound = try await rewardee(fixture, "13700000022")
        XCTAssertEqual(bound, "ref-early")

        let manual = try unwrap(try await fixture.create(CustomersFixture.input("王五", phones: ["13700000033"], address: "别处"), by: try fixture.salesA).customer)
        var bind = Xsc_Customers_V1_BindIntermediaryRequest()
        bind.customerId = manual.id
        bind.intermediaryAccountId = "ref-1"
        _ = try await fixture.flow.bind(bind, actor: try fixture.salesA)
        try await seen("c1", "13700000033", "ref-early", at: t)
        let kept = try await rewardee(fixture, "13700000033")
        XCTAssertEqual(kept, "ref-1")
    }
}
