import Customers
import Messages
import RPC
import XCTest

/// The salesperson's "due today" (the people pages, issue 20): SearchCustomers'
/// follow_up_due_before_ms keeps the customers whose next follow-up falls before the moment,
/// overdue ones included; a customer without one never shows.
final class SearchDueTests: XCTestCase {
    func testFollowUpDueBeforeKeepsOnlyCustomersDueByThen() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        var ids: [String: String] = [:]
        for (index, name) in ["今天", "明天", "没约"].enumerated() {
            ids[name] = try await fixture.create(CustomersFixture.input(name, phones: ["1390000010\(index)"]), by: try fixture.salesA).customer!.id
            fixture.clock.advance(by: .seconds(1))  // newest first: one order
        }
        let now = fixture.clock.now()
        func followUp(_ name: String, next: Int64) async throws {
            var request = Xsc_Customers_V1_AddFollowUpRequest()
            request.customerId = ids[name]!
            request.channel = .phone
            request.content = "联系过"
            request.outcome = .callBack
            request.nextFollowUpAtMs = next
            _ = try await fixture.flow.addFollowUp(request, actor: try fixture.salesA, idempotencyKey: nil)
        }
        try await followUp("今天", next: now + 3_600_000)
        try await followUp("明天", next: now + 30 * 3_600_000)
        try await followUp("没约", next: 0)

        func due(before: Int64) async throws -> [String] {
            var request = Xsc_Customers_V1_SearchCustomersRequest()
            request.followUpDueBeforeMs = before
            return try await fixture.flow.search(request, actor: try fixture.salesA).customers.map(\.name)
        }
        let today = try await due(before: now + 12 * 3_600_000)
        XCTAssertEqual(today, ["今天"])
        // Later the same customer is overdue, and still due.
        fixture.clock.advance(by: .seconds(2 * 3_600))
        let overdue = try await due(before: fixture.clock.now() + 1)
        XCTAssertEqual(overdue, ["今天"])
        let later = try await due(before: now + 48 * 3_600_000)
        XCTAssertEqual(later, ["明天", "今天"])
        let unfiltered = try await due(before: 0)
        XCTAssertEqual(unfiltered, ["没约", "明天", "今天"])
        await expectRPCError(.invalidArgument) { try await due(before: -1) }
    }
}
