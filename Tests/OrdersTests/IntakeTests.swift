import Messages
import Orders
import RPC
import XCTest

/// Validation with field violations, the pricing rule, and both kinds of idempotency.
final class IntakeTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testEveryBadFieldIsReportedAtOnce() async throws {
        var request = OrdersFixture.orderRequest(source: .alliance, phone: "+86 123 4567 8901")
        request.customer?.name = "  "
        request.lines[0].quantity = 0
        request.lines[1].quantity = 10_001
        var third = Xsc_Orders_V1_OrderLine()
        third.skuId = "bj-500"
        third.quantity = 1
        request.lines.append(third)
        let error = await expectRPCError(.invalidArgument) {
            try await self.fixture.flow.submit(request, actor: try self.fixture.leadO1, idempotencyKey: nil)
        }
        XCTAssertEqual(error?.violatedFields, ["referrer_code", "customer.name", "customer.phone", "lines[0].quantity",
                                               "lines[1].quantity", "lines[2].sku_id"])
    }

    func testCatalogRoutingAndPriceRuleAreChecked() async throws {
        let flow = fixture.flow
        var unknown = OrdersFixture.orderRequest(source: .self, district: "nowhere")
        var error = await expectRPCError(.invalidArgument) { try await flow.submit(unknown, actor: try self.fixture.leadO1, idempotencyKey: nil) }
        XCTAssertEqual(error?.violatedFields, ["delivery_district_id"])

        unknown = OrdersFixture.orderRequest(source: .self)
        unknown.lines[0].skuId = "no-such-sku"
        unknown.lines[1].skuId = "retired"
        error = await expectRPCError(.invalidArgument) { try await flow.submit(unknown, actor: try self.fixture.leadO1, idempotencyKey: nil) }
        XCTAssertEqual(error?.violatedFields, ["lines[0].sku_id", "lines[1].sku_id"])

        // A mall may not undercut: the region's list price on a mall order is refused...
        var mall = OrdersFixture.orderRequest(source: .mall, externalID: "TM-9")
        mall.lines[0].unitPriceFen = 12_800
        error = await expectRPCError(.invalidArgument) { try await flow.submit(mall, actor: try self.fixture.tmall, idempotencyKey: nil) }
        XCTAssertEqual(error?.violatedFields, ["lines[0].unit_price_fen"])
        // ...and an alliance order at the guided maximum is refused too.
        var alliance = OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42")
        alliance.lines[1].unitPriceFen = 8_800
        error = await expectRPCError(.invalidArgument) { try await flow.submit(alliance, actor: try self.fixture.leadO1, idempotencyKey: nil) }
        XCTAssertEqual(error?.violatedFields, ["lines[1].unit_price_fen"])
        // Price 0 means "the channel's price".
        alliance.lines[1].unitPriceFen = 0
        let priced = try await flow.submit(alliance, actor: fixture.leadO1, idempotencyKey: nil)
        XCTAssertEqual(priced.order?.lines.map(\.unitPriceFen), [12_800, 6_800])
        // A partner submits as itself only.
        var spoofed = OrdersFixture.orderRequest(source: .mall, externalID: "TM-10", partner: "partner-jd")
        spoofed.lines[0].unitPriceFen = 15_800
        error = await expectRPCError(.invalidArgument) { try await flow.submit(spoofed, actor: try self.fixture.tmall, idempotencyKey: nil) }
        XCTAssertEqual(error?.violatedFields, ["partner_id"])
    }

    func testIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody() async throws {
        let flow = fixture.flow
        let request = OrdersFixture.orderRequest(source: .phone)
        let first = try await flow.submit(request, actor: fixture.leadO1, idempotencyKey: "key-1")
        let again = try await flow.submit(request, actor: fixture.leadO1, idempotencyKey: "key-1")
        XCTAssertEqual(again, first)
        var changed = request
        changed.lines[0].quantity = 4
        let error = await expectRPCError(.failedPrecondition) { try await flow.submit(changed, actor: try self.fixture.leadO1, idempotencyKey: "key-1") }
        XCTAssertEqual(error?.errorInfoReason, "IDEMPOTENCY_KEY_REUSED")
        let orders = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(orders, 1)
    }

    func testPartnerExternalIDIsIdempotent() async throws {
        let flow = fixture.flow
        let request = OrdersFixture.orderRequest(source: .mall, externalID: "TM-77")
        let first = try await flow.submit(request, actor: fixture.tmall, idempotencyKey: nil)
        XCTAssertFalse(first.existing)
        // The same order typed differently (phone without +86) is the same order.
        let again = try await flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-77", phone: "13800138000"),
                                          actor: fixture.tmall, idempotencyKey: nil)
        XCTAssertTrue(again.existing)
        XCTAssertEqual(again.order?.id, first.order?.id)
        var other = request
        other.lines[0].quantity = 9
        let error = await expectRPCError(.alreadyExists) { try await flow.submit(other, actor: try self.fixture.tmall, idempotencyKey: nil) }
        XCTAssertEqual(error?.reason, "EXTERNAL_ID_REUSED")
        // Another partner's TM-77 is another order.
        let jd = try await flow.submit(request, actor: fixture.jd, idempotencyKey: nil)
        XCTAssertNotEqual(jd.order?.id, first.order?.id)
        let smsPrompts = try await fixture.smsRequests().filter { $0.template == "order_new_lead" }.count
        XCTAssertEqual(smsPrompts, 2, "a replayed submission prompts nobody again")
    }

    func testFiftyConcurrentSubmissionsOfOneOrderMakeOneRow() async throws {
        let flow = fixture.flow
        let tmall = try fixture.tmall
        let request = OrdersFixture.orderRequest(source: .mall, externalID: "TM-RACE")
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for attempt in 0..<50 {
                // Half retry with one idempotency key, half with none: both paths meet on one row.
                let key: String? = attempt.isMultiple(of: 2) ? "race-key" : nil
                group.addTask { try await flow.submit(request, actor: tmall, idempotencyKey: key).order?.id ?? "" }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        XCTAssertEqual(ids.count, 50)
        XCTAssertEqual(Set(ids).count, 1)
        XCTAssertFalse(ids[0].isEmpty)
        let rows = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(rows, 1)
        let events = try await fixture.count("SELECT count(*) FROM order_events")
        XCTAssertEqual(events, 1)
        let prompts = try await fixture.smsRequests().count
        XCTAssertEqual(prompts, 1)
    }
}
