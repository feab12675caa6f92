import DomainKit
import Foundation
import Messages
@testable import Notifications
import Postgres
import RPC
import ServiceKit
import XCTest

/// An order prompt that never reaches its lead - refused by the provider, or reported failed by a
/// receipt - is told to orders (PromptUndelivered, through the outbox, once per message), so the
/// miss that followed is voided and the next person up prompted at once. Other SMS are not.
final class UndeliveredPromptTests: XCTestCase {
    struct Refusing: SMSProvider {
        let name = "refusing"
        func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String { throw .permanent("number blocked") }
    }

    private func reports(_ pool: PostgresPool) async throws -> [Xsc_Orders_V1_PromptUndeliveredRequest] {
        try await pool.query("SELECT payload FROM xsc_outbox WHERE method_path = $1 ORDER BY id",
                             [.text(UndeliveredPrompts.path)]).map {
            try Xsc_Orders_V1_PromptUndeliveredRequest(serializedBytes: try $0.decode([UInt8].self, at: 0))
        }
    }

    func testARefusedOrderPromptIsReportedToOrdersOnce() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        let prompt = try await client.send(NotificationsFixture.sendRequest(key: "u-1", orderID: "order-1"), options: fixture.system)
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u-2", template: "team_notice", params: ["title": "周会"]),
                                  options: fixture.system)
        var policy = DeliveryQueue.Policy()
        policy.quietHours = .none
        let worker = DeliveryWorker(queue: DeliveryQueue(pool: fixture.pool, policy: policy, clock: fixture.clock.now),
                                    provider: Refusing(), logger: fixture.logger)
        _ = try await worker.runOnce()
        let sent = try await reports(fixture.pool)
        XCTAssertEqual(sent.map(\.orderId), ["order-1"], "only the order prompt, once")
        XCTAssertEqual(sent.first?.accountId, "acct-lead-1")
        XCTAssertEqual(sent.first?.messageId, prompt.message?.id)
        XCTAssertTrue(sent.first?.reason.contains("blocked") == true)
    }

    func testAFailedReceiptOfAnOrderPromptIsReportedToOrdersOnce() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        _ = try await client.send(NotificationsFixture.sendRequest(key: "r-1", orderID: "order-2"), options: fixture.system)
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString).jsonl"
        var policy = DeliveryQueue.Policy()
        policy.quietHours = .none
        let worker = DeliveryWorker(queue: DeliveryQueue(pool: fixture.pool, policy: policy, clock: fixture.clock.now),
                                    provider: DevFileProvider(path: file, clock: fixture.clock.now), logger: fixture.logger)
        _ = try await worker.runOnce()
        let providerID = try await fixture.pool.query("SELECT provider_message_id FROM messages")[0].decode(String.self, at: 0)
        var receipt = Xsc_Notifications_V1_ReportDeliveryRequest()
        receipt.providerMessageId = providerID
        receipt.status = .failed
        receipt.errorCode = "UNDELIV"
        _ = try await client.reportDelivery(receipt, options: fixture.system)
        _ = try await client.reportDelivery(receipt, options: fixture.system)
        let sent = try await reports(fixture.pool)
        XCTAssertEqual(sent.map(\.orderId), ["order-2"])
        XCTAssertTrue(sent.first?.reason.contains("UNDELIV") == true)
    }
}
