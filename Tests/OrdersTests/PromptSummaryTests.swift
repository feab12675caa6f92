@testable import Orders
import DomainKit
import Messages
import XCTest

/// The office leads' SMS prompt carries a one-line summary of the order (units, total as every
/// SMS shows an amount, district): what a lead reads to decide, spelled exactly so on every order.
final class PromptSummaryTests: XCTestCase {
    func testThePromptSummarisesTheSubmittedOrder() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        var request = OrdersFixture.orderRequest(source: .phone)
        request.lines[0].quantity = 120
        let order = try await fixture.submitted(request, by: try fixture.leadO1)
        let prompts = try await fixture.smsRequests(forOrder: order.code).filter { $0.template == "order_new_lead" }
        XCTAssertFalse(prompts.isEmpty)
        let units = order.lines.reduce(0) { $0 + Int($1.quantity) }
        XCTAssertGreaterThanOrEqual(order.totalFen, 100_000, "a total with a thousands separator")
        let expected = "\(units)件商品 合计\(Fen.yuanText(order.totalFen)) 送至\(order.districtId)"
        for prompt in prompts { XCTAssertEqual(prompt.params["summary"], expected) }
    }
}
