@testable import Orders
import Messages
import XCTest

/// The office leads' SMS prompt carries a one-line summary of the order (units, total in yuan,
/// district): what a lead reads to decide, spelled exactly so on every order.
final class PromptSummaryTests: XCTestCase {
    func testYuanHasTwoDecimals() {
        XCTAssertEqual(OrderNotifier.yuan(5), "0.05")
        XCTAssertEqual(OrderNotifier.yuan(100), "1.00")
        XCTAssertEqual(OrderNotifier.yuan(1_234), "12.34")
        XCTAssertEqual(OrderNotifier.yuan(129_600), "1296.00")
    }

    func testThePromptSummarisesTheSubmittedOrder() async throws {
        let fixture = try await OrdersFixture.make(self)
        defer { fixture.close() }
        let order = try await fixture.submitted(OrdersFixture.orderRequest(source: .phone), by: try fixture.leadO1)
        let prompts = try await fixture.smsRequests(forOrder: order.code).filter { $0.template == "order_new_lead" }
        XCTAssertFalse(prompts.isEmpty)
        let units = order.lines.reduce(0) { $0 + Int($1.quantity) }
        let cents = order.totalFen % 100
        let expected = "\(units)件商品 合计¥\(order.totalFen / 100).\(cents < 10 ? "0" : "")\(cents) 送至\(order.districtId)"
        for prompt in prompts { XCTAssertEqual(prompt.params["summary"], expected) }
    }
}
