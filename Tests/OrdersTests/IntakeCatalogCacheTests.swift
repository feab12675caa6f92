@testable import Orders
import Messages
import RPC
import XCTest

/// The intake keeps routing and prices in process by catalog version (migration 0014): a change
/// by any writer - the admin RPCs, the directory feed, SQL typed by a person - must take effect
/// on the very next order, and a stale write must write nothing.
final class IntakeCatalogCacheTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    private func prompted(_ order: Xsc_Orders_V1_Order) async throws -> [String] {
        try await fixture.smsRequests(forOrder: order.code).filter { $0.template == "order_new_lead" }.map(\.accountId)
    }

    private func submit() async throws -> Xsc_Orders_V1_Order {
        try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: try fixture.leadO1)
    }

    func testARoutingChangeBySQLTakesEffectOnTheNextOrder() async throws {
        let first = try await submit()
        let cachedPrompt = try await prompted(first)
        XCTAssertEqual(cachedPrompt, ["lead-o1"])
        _ = try await submit() // served from the cache
        try await fixture.pool.execute("""
            UPDATE district_routing_members SET account_id = 'dlead-d3' WHERE district_id = $1 AND member_role = 'office_lead'
            """, [.text(OrdersFixture.cqDistrict)])
        let next = try await submit()
        let nextPrompt = try await prompted(next)
        XCTAssertEqual(nextPrompt, ["dlead-d3"], "the routing cached before the change was used")
        let orders = try await fixture.count("SELECT count(*) FROM orders")
        XCTAssertEqual(orders, 3, "the stale attempt wrote nothing")
        let prompts = try await fixture.smsRequests().filter { $0.template == "order_new_lead" }.count
        XCTAssertEqual(prompts, 3)
    }

    func testOnlyADirectoryChangeThatShowsMovesTheCatalogVersion() async throws {
        func version() async throws -> Int { try await fixture.count("SELECT version FROM orders_catalog_version") }
        func deliver(name: String, version: Int64) async throws {
            try await fixture.deliverDirectoryEntry("lead-o1", name: name, role: "office_order_lead", node: "/hq/cq/cq-o1",
                                                    version: version)
        }
        let start = try await version()
        try await deliver(name: "lead-o1", version: 500)  // a newer version, nothing shown changed
        try await deliver(name: "lead-o1", version: 400)  // a late redelivery: not applied
        let unchanged = try await version()
        XCTAssertEqual(unchanged, start, "deliveries that change nothing shown keep the cache")
        try await deliver(name: "订单负责人 王", version: 600)
        let renamed = try await version()
        XCTAssertGreaterThan(renamed, start, "a new name is shown on the board: the version moves")
    }

    func testADisabledLeadIsNotPromptedOnTheNextOrder() async throws {
        _ = try await submit()
        try await fixture.deliverDirectoryEntry("lead-o1", name: "lead-o1", role: "office_order_lead", node: "/hq/cq/cq-o1",
                                                enabled: false, version: 1_000)
        let next = try await submit()
        let nextPrompt = try await prompted(next)
        XCTAssertEqual(nextPrompt, [], "a disabled lead is no longer prompted")
    }

    func testAPriceChangeBySQLTakesEffectOnTheNextOrder() async throws {
        var request = OrdersFixture.orderRequest(source: .phone)
        request.lines[0].unitPriceFen = 0 // take the list price, whatever it is
        let first = try await fixture.submitted(request, by: try fixture.leadO1)
        XCTAssertEqual(first.lines[0].unitPriceFen, 12_800)
        try await fixture.pool.execute("UPDATE region_prices SET price_fen = 12900 WHERE region_id = 'cq' AND sku_id = 'bj-500'")
        let next = try await fixture.submitted(request, by: try fixture.leadO1)
        XCTAssertEqual(next.lines[0].unitPriceFen, 12_900)
        // A price the request states must be the current one: the old one is refused now.
        let stale = OrdersFixture.orderRequest(source: .phone)
        await expectRPCError(.invalidArgument) { try await self.fixture.submitted(stale, by: try self.fixture.leadO1) }
    }

    func testTheCacheHoldsOneVersionAndABoundedNumberOfEntries() {
        let cache = IntakeCatalogCache(capacity: 2)
        let routing = Routing(districtID: "d1", regionID: "r", officeID: "o", creditedTeamPath: "/t", officeLeads: [],
                              districtLeads: [], dealers: [], escalation: [], slaSeconds: 300)
        cache.remember(.init(version: 5, routing: routing, prices: [(true, 100)]), skus: ["a"], district: "d1", rule: .regionList)
        XCTAssertEqual(cache.facts(district: "d1", skus: ["a"], rule: .regionList)?.version, 5)
        XCTAssertNil(cache.facts(district: "d1", skus: ["a", "b"], rule: .regionList), "every SKU must be known")
        XCTAssertNil(cache.facts(district: "d1", skus: ["a"], rule: .guidedMaximum), "prices are per rule")
        cache.remember(.init(version: 4, routing: routing, prices: [(true, 1)]), skus: ["b"], district: "d1", rule: .regionList)
        XCTAssertNil(cache.facts(district: "d1", skus: ["b"], rule: .regionList), "an older read is not kept")
        cache.remember(.init(version: 6, routing: routing, prices: [(true, 1)]), skus: ["b"], district: "d2", rule: .regionList)
        XCTAssertNil(cache.facts(district: "d1", skus: ["a"], rule: .regionList), "a newer version drops the older entries")
        cache.remember(.init(version: 6, routing: routing, prices: [(true, 1), (true, 2)]), skus: ["c", "d"], district: "d3", rule: .regionList)
        XCTAssertNil(cache.facts(district: "d2", skus: ["b"], rule: .regionList), "past its capacity it starts again")
        let held = cache.facts(district: "d3", skus: ["d", "c"], rule: .regionList)
        XCTAssertEqual(held?.prices.map { $0?.priceFen }, [2, 1], "prices come in the order of the SKUs asked for")

        let codes = OrderCodeBlocks(blockSize: 4, capacity: 3)
        XCTAssertNil(codes.take())
        codes.add(["A", "B", "C", "D"])
        XCTAssertEqual([codes.take(), codes.take(), codes.take(), codes.take()].compactMap { $0 }.count, 3)
    }
}
