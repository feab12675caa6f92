import Messages
import Orders
import RPC
import XCTest

/// The intake writes a new order as ONE statement and does not read the idempotency key
/// first: a retry must still get the first answer byte for byte and write nothing, also when
/// the catalog changed in between so that the request would now be refused.
final class IntakeOneStatementTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    private func rowCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["orders", "order_lines", "order_events", "xsc_outbox", "xsc_timers", "xsc_idempotency_keys", "channel_conflicts"] {
            counts[table] = try await fixture.count("SELECT count(*) FROM \(table)")
        }
        return counts
    }

    func testANewOrderWritesEveryRowOnce() async throws {
        let before = try await rowCounts()
        let answer = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1,
                                                   idempotencyKey: "one-statement")
        let after = try await rowCounts()
        let order = try XCTUnwrap(answer.order)
        XCTAssertFalse(order.code.isEmpty)
        // The order, its 2 lines and event, the office lead's SMS and the customers service's
        // CustomerSeen, the acknowledgement timer and the key with its answer.
        XCTAssertEqual(after["orders"]! - before["orders"]!, 1)
        XCTAssertEqual(after["order_lines"]! - before["order_lines"]!, 2)
        XCTAssertEqual(after["order_events"]! - before["order_events"]!, 1)
        XCTAssertEqual(after["xsc_outbox"]! - before["xsc_outbox"]!, 2)
        XCTAssertEqual(after["xsc_timers"]! - before["xsc_timers"]!, 1)
        XCTAssertEqual(after["xsc_idempotency_keys"]! - before["xsc_idempotency_keys"]!, 1)
        let stored = try await fixture.pool.query("SELECT response FROM xsc_idempotency_keys WHERE idempotency_key = 'one-statement'")
        XCTAssertEqual(try Xsc_Orders_V1_SubmitOrderResponse(serializedBytes: try stored[0].decode([UInt8].self, at: 0)), answer)
    }

    func testARetryWritesNothingAndGetsTheSameBytes() async throws {
        let request = OrdersFixture.orderRequest(source: .phone)
        let first = try await fixture.flow.submit(request, actor: fixture.leadO1, idempotencyKey: "retry-1")
        let before = try await rowCounts()
        let again = try await fixture.flow.submit(request, actor: fixture.leadO1, idempotencyKey: "retry-1")
        XCTAssertEqual(again.serializedBytes(), first.serializedBytes())
        let after = try await rowCounts()
        XCTAssertEqual(after, before, "the retry's write failed on the key and left no row")
    }

    func testARetryAfterTheSKUWasRetiredStillGetsTheFirstAnswer() async throws {
        let request = OrdersFixture.orderRequest(source: .phone)
        let first = try await fixture.flow.submit(request, actor: fixture.leadO1, idempotencyKey: "retired-later")
        var retire = Xsc_Orders_V1_UpsertSkuRequest()
        var sku = Xsc_Orders_V1_Sku()
        sku.skuId = "bj-250"
        sku.name = "52度 250ml"
        sku.unit = "bottle"
        sku.active = false
        retire.sku = sku
        _ = try await fixture.flow.upsertSKU(retire, actor: try fixture.admin)
        let again = try await fixture.flow.submit(request, actor: fixture.leadO1, idempotencyKey: "retired-later")
        XCTAssertEqual(again.serializedBytes(), first.serializedBytes())
        // A new key is refused: the SKU is no longer sold.
        let error = await expectRPCError(.invalidArgument) {
            try await self.fixture.flow.submit(request, actor: try self.fixture.leadO1, idempotencyKey: "retired-new")
        }
        XCTAssertTrue(error?.message.contains("no longer sold") ?? false, "\(String(describing: error))")
    }

    func testARefusedRequestLeavesItsKeyFreeForTheCorrectedOne() async throws {
        var wrong = OrdersFixture.orderRequest(source: .phone)
        wrong.lines[0].unitPriceFen = 1
        await expectRPCError(.invalidArgument) {
            try await self.fixture.flow.submit(wrong, actor: try self.fixture.leadO1, idempotencyKey: "fix-me")
        }
        let keys = try await fixture.count("SELECT count(*) FROM xsc_idempotency_keys")
        XCTAssertEqual(keys, 0, "a refusal is not an answer to replay")
        let right = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1,
                                                  idempotencyKey: "fix-me")
        XCTAssertFalse(right.order?.id.isEmpty ?? true)
    }

    func testATakenExternalIDWritesNothingAndAnswersTheEarlierOrder() async throws {
        let request = OrdersFixture.orderRequest(source: .mall, externalID: "tm-fused-1")
        let first = try await fixture.flow.submit(request, actor: fixture.tmall, idempotencyKey: "tm-key-1")
        let before = try await rowCounts()
        let again = try await fixture.flow.submit(request, actor: fixture.tmall, idempotencyKey: "tm-key-2")
        XCTAssertTrue(again.existing)
        XCTAssertEqual(again.order?.id, first.order?.id)
        let after = try await rowCounts()
        XCTAssertEqual(after["orders"], before["orders"])
        XCTAssertEqual(after["xsc_outbox"], before["xsc_outbox"], "no second prompt or event")
        XCTAssertEqual(after["xsc_timers"], before["xsc_timers"])
    }
}
