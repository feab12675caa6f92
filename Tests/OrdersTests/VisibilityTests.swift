import Messages
import Orders
import RPC
import ServiceKit
import XCTest

/// The visibility matrix: two offices, HQ, a dealer, a referrer, two partners. A refused
/// read is NOT_FOUND with the same message as an order that does not exist.
final class VisibilityTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    func testVisibilityMatrix() async throws {
        let flow = fixture.flow
        // A: tmall's mall order in cq, assigned to dealer-1.
        let awaited1 = try await flow.submit(OrdersFixture.orderRequest(source: .mall, externalID: "TM-A"), actor: fixture.tmall, idempotencyKey: nil).order?.id
        let a = try XCTUnwrap(awaited1)
        _ = try await flow.acknowledge(orderID: a, actor: fixture.leadO1)
        _ = try await flow.assign(orderID: a, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        // B: jd's group-buy order in sc.
        var bRequest = OrdersFixture.orderRequest(source: .groupbuyPlatform, district: OrdersFixture.scDistrict, externalID: "JD-B")
        bRequest.lines[0].unitPriceFen = 13_000
        let awaited2 = try await flow.submit(bRequest, actor: fixture.jd, idempotencyKey: nil).order?.id
        let b = try XCTUnwrap(awaited2)
        // C: an alliance order in cq referred by ref-42.
        let awaited3 = try await flow.submit(OrdersFixture.orderRequest(source: .alliance, referrer: "ref-42"), actor: fixture.leadO1, idempotencyKey: nil).order?.id
        let c = try XCTUnwrap(awaited3)

        let matrix: [(String, VerifiedActor, Set<String>)] = [
            ("HQ admin", try fixture.admin, [a, b, c]),
            ("cq office lead", try fixture.leadO1, [a, c]),
            ("cq customer service", try fixture.customerServiceCQ, [a, c]),
            ("sc office lead", try fixture.leadO2, [b]),
            ("dealer-1 (assigned A)", try fixture.dealer1, [a]),
            ("dealer-2", try fixture.dealer2, []),
            ("referrer of C", try fixture.referrer, [c]),
            ("tmall", try fixture.tmall, [a]),
            ("jd", try fixture.jd, [b]),
            ("credited team itself", try fixture.actor("member-t7", .staff, team: OrdersFixture.cqTeam), [a, c]),
            ("sibling whose name extends the team's", try fixture.actor("member-t77", .staff, team: OrdersFixture.cqTeam + "7"), []),
            // "/hq/cq/cq-o1/cq-o1-d" is a string prefix of the credited path but not an ancestor node.
            ("node whose name is a prefix of an ancestor's", try fixture.actor("member-d", .staff, team: "/hq/cq/cq-o1/cq-o1-d"), []),
        ]
        let missing = await expectRPCError(.notFound) { try await flow.get(orderID: "00000000-0000-0000-0000-000000000000", actor: try self.fixture.admin) }
        for (who, actor, visible) in matrix {
            for id in [a, b, c] {
                if visible.contains(id) {
                    let order = try await flow.get(orderID: id, actor: actor)
                    XCTAssertEqual(order.id, id, who)
                } else {
                    let refused = await expectRPCError(.notFound, "\(who) reading \(id)") { try await flow.get(orderID: id, actor: actor) }
                    XCTAssertEqual(refused?.message.replacingOccurrences(of: id, with: "X"),
                                   missing?.message.replacingOccurrences(of: "00000000-0000-0000-0000-000000000000", with: "X"),
                                   "no hint whether it exists (\(who))")
                    XCTAssertEqual(try refused?.details.map { try Google_Rpc_Status(serializedBytes: $0).details },
                                   try missing?.details.map { try Google_Rpc_Status(serializedBytes: $0).details },
                                   "the same details (ErrorInfo NOT_FOUND) as a missing id (\(who))")
                    await expectRPCError(.notFound, "\(who) listing events of \(id)") {
                        var request = Xsc_Orders_V1_ListOrderEventsRequest()
                        request.orderId = id
                        return try await flow.events(request, actor: actor)
                    }
                }
            }
            let listed = try await flow.list(Xsc_Orders_V1_ListOrdersRequest(), actor: actor).orders.map(\.id)
            XCTAssertEqual(Set(listed), visible, "list of \(who)")
            XCTAssertEqual(listed.count, visible.count, who)
        }

        // The referrer sees progress and amounts, never the customer or the people.
        let limited = try await flow.get(orderID: c, actor: fixture.referrer)
        XCTAssertNil(limited.customer)
        XCTAssertEqual(limited.creditedTeamPath, "")
        XCTAssertEqual(limited.submittedBy, "")
        XCTAssertEqual(limited.totalFen, 3 * 12_800 + 6_800)
        XCTAssertEqual(limited.state, .received)
        var eventsRequest = Xsc_Orders_V1_ListOrderEventsRequest()
        eventsRequest.orderId = c
        let events = try await flow.events(eventsRequest, actor: fixture.referrer).events
        XCTAssertEqual(events.map(\.kind), ["submitted"])
        XCTAssertEqual(events.map(\.actorAccountId), [""])
        let full = try await flow.get(orderID: c, actor: fixture.leadO1)
        XCTAssertEqual(full.customer?.phone, "13800138000")
    }

    func testListPagesWithACursorAndCapsThePageSize() async throws {
        let flow = fixture.flow
        var submitted: [String] = []
        for _ in 0..<5 {
            fixture.clock.advance(by: .seconds(1))
            let awaited4 = try await flow.submit(OrdersFixture.orderRequest(source: .phone), actor: fixture.leadO1, idempotencyKey: nil).order?.id
            submitted.append(try XCTUnwrap(awaited4))
        }
        var request = Xsc_Orders_V1_ListOrdersRequest()
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 2
        request.page = page
        var seen: [String] = []
        while true {
            let response = try await flow.list(request, actor: fixture.leadO1)
            XCTAssertLessThanOrEqual(response.orders.count, 2)
            seen += response.orders.map(\.id)
            guard let next = response.page?.nextCursor, !next.isEmpty else { break }
            request.page?.cursor = next
        }
        XCTAssertEqual(seen, submitted.reversed(), "newest first, each once")
        page.pageSize = 10_000
        page.cursor = ""
        request.page = page
        let awaited5 = try await flow.list(request, actor: fixture.leadO1).orders.count
        XCTAssertEqual(awaited5, 5)
        page.cursor = "garbage"
        request.page = page
        await expectRPCError(.invalidArgument) { try await flow.list(request, actor: try self.fixture.leadO1) }
    }
}
