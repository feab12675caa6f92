import Messages
import Orders
import RPC
import ServiceKit
import XCTest

/// Every action from every state it may not start from answers FAILED_PRECONDITION (reason
/// ILLEGAL_TRANSITION) and changes nothing; the people checks answer PERMISSION_DENIED.
final class TransitionTests: XCTestCase {
    private var fixture: OrdersFixture!

    override func setUp() async throws { fixture = try await OrdersFixture.make(self) }
    override func tearDown() async throws { fixture?.close() }

    private enum Action: CaseIterable {
        case acknowledge, assignDealer, accept, markDelivered, returnVisit, cancel, refund
    }

    /// Which actions are legal in each state (DOMAIN.md); everything else must be refused.
    private let legal: [Xsc_Orders_V1_OrderState: Set<Action>] = [
        .received: [.acknowledge, .cancel],
        .acknowledged: [.assignDealer, .cancel],
        .assigned: [.accept, .cancel], // assigned to a dealer
        .accepted: [.markDelivered, .cancel],
        .delivered: [.returnVisit],
        .visited: [.refund],
        .cancelled: [],
        .refunded: [],
    ]

    func testEveryIllegalTransitionIsFailedPrecondition() async throws {
        var refused = 0
        for (state, allowed) in legal.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for action in Action.allCases where !allowed.contains(action) {
                let id = try await order(in: state)
                // HQ's administrator sees every order, so the state machine - not visibility - answers.
                let error = await expectRPCError(.failedPrecondition, "\(action) from \(state)") { try await self.perform(action, on: id, as: try self.fixture.admin) }
                XCTAssertEqual(error?.reason, "ILLEGAL_TRANSITION", "\(action) from \(state)")
                let after = try await fixture.flow.get(orderID: id, actor: fixture.admin)
                XCTAssertEqual(after.state, state, "a refused \(action) leaves the order \(state)")
                refused += 1
            }
        }
        XCTAssertEqual(refused, 8 * 7 - 10)
    }

    func testDistrictLeadAssignmentIsAcknowledgedNotAcceptedAndDealerAssignmentTheReverse() async throws {
        let flow = fixture.flow
        let forwarded = try await submitted()
        _ = try await flow.acknowledge(orderID: forwarded, actor: fixture.leadO1)
        _ = try await flow.assign(orderID: forwarded, assignee: "dlead-d3", kind: .districtLead, actor: fixture.leadO1)
        await expectRPCError(.failedPrecondition, "a district lead acknowledges, it does not accept") {
            try await flow.accept(orderID: forwarded, actor: try self.fixture.districtLeadD3)
        }
        let toDealer = try await order(in: .assigned)
        await expectRPCError(.failedPrecondition, "a dealer accepts, it does not acknowledge") {
            try await flow.acknowledge(orderID: toDealer, actor: try self.fixture.dealer1)
        }
    }

    func testOnlyTheRightPeopleMoveAnOrder() async throws {
        let flow = fixture.flow
        let id = try await submitted()
        // Visible (same office tree) but not an order lead of the office.
        let officeClerk = try fixture.actor("clerk-o1", .staff, team: "/hq/cq/cq-o1")
        await expectRPCError(.permissionDenied) { try await flow.acknowledge(orderID: id, actor: officeClerk) }
        // Not visible at all: NOT_FOUND, as for an order that does not exist.
        await expectRPCError(.notFound) { try await flow.acknowledge(orderID: id, actor: try self.fixture.leadO2) }
        _ = try await flow.acknowledge(orderID: id, actor: fixture.leadO1)
        let bad = await expectRPCError(.invalidArgument, "dealer of another district") {
            try await flow.assign(orderID: id, assignee: "dealer-2", kind: .dealer, actor: try self.fixture.leadO1)
        }
        XCTAssertEqual(bad?.violatedFields, ["assignee_account_id"])
        _ = try await flow.assign(orderID: id, assignee: "dealer-1", kind: .dealer, actor: fixture.leadO1)
        await expectRPCError(.notFound, "another dealer cannot see it") { try await flow.accept(orderID: id, actor: try self.fixture.dealer2) }
        await expectRPCError(.permissionDenied, "the lead does not accept for the dealer") { try await flow.accept(orderID: id, actor: try self.fixture.leadO1) }
    }

    // MARK: helpers

    private func submitted() async throws -> String {
        let response = try await fixture.flow.submit(OrdersFixture.orderRequest(source: .self), actor: fixture.leadO1, idempotencyKey: nil)
        return try XCTUnwrap(response.order?.id)
    }

    /// A new order brought to `state` by the people allowed to.
    private func order(in state: Xsc_Orders_V1_OrderState) async throws -> String {
        let flow = fixture.flow
        let id = try await submitted()
        let path: [Action]
        switch state {
        case .received: path = []
        case .acknowledged: path = [.acknowledge]
        case .assigned: path = [.acknowledge, .assignDealer]
        case .accepted: path = [.acknowledge, .assignDealer, .accept]
        case .delivered: path = [.acknowledge, .assignDealer, .accept, .markDelivered]
        case .visited: path = [.acknowledge, .assignDealer, .accept, .markDelivered, .returnVisit]
        case .cancelled: path = [.cancel]
        case .refunded: path = [.acknowledge, .assignDealer, .accept, .markDelivered, .returnVisit, .refund]
        default: path = []
        }
        for action in path { _ = try await perform(action, on: id) }
        let reached = try await flow.get(orderID: id, actor: fixture.admin)
        XCTAssertEqual(reached.state, state)
        return id
    }

    /// `action` by the person who may do it when the state allows (or by `actor`).
    private func perform(_ action: Action, on id: String, as actor: VerifiedActor? = nil) async throws -> Xsc_Orders_V1_Order {
        let flow = fixture.flow
        switch action {
        case .acknowledge: return try await flow.acknowledge(orderID: id, actor: actor ?? fixture.leadO1)
        case .assignDealer: return try await flow.assign(orderID: id, assignee: "dealer-1", kind: .dealer, actor: actor ?? fixture.leadO1)
        case .accept: return try await flow.accept(orderID: id, actor: actor ?? fixture.dealer1)
        case .markDelivered: return try await flow.markDelivered(orderID: id, actor: actor ?? fixture.dealer1)
        case .returnVisit:
            return try await flow.recordReturnVisit(OrdersFixture.returnVisit(id, actual: [("bj-500", 3), ("bj-250", 1)]),
                                                    actor: actor ?? fixture.leadO1)
        case .cancel: return try await flow.cancel(orderID: id, reason: "customer changed mind", actor: actor ?? fixture.leadO1)
        case .refund: return try await flow.refund(orderID: id, reason: "returned", actor: actor ?? fixture.customerServiceCQ)
        }
    }
}
