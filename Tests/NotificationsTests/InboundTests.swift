import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import Postgres
import ProtoCodec
import RPC
import ServiceKit
import ServiceKitStore
import Synchronization
import XCTest

/// Stands in for the orders service's AcknowledgeBySms until the orders issue lands.
final class FakeOrders: RPCServiceProvider, Sendable {
    let received = Mutex<[Xsc_Notifications_V1_SmsAcknowledgement]>([])

    var rpcService: RPCService {
        RPCService(name: "xsc.orders.v1.OrderService", methods: [
            .unary("AcknowledgeBySms") { [self] (request: Xsc_Notifications_V1_SmsAcknowledgement, _: ServerContext) -> OpaqueMessage in
                received.withLock { $0.append(request) }
                return OpaqueMessage()
            },
        ])
    }
}

final class InboundTests: XCTestCase {
    private func inbound(_ text: String, from phone: String = "13812345678", at millis: Int64,
                         id: String = UUID().uuidString) -> Xsc_Notifications_V1_ReceiveInboundRequest {
        var request = Xsc_Notifications_V1_ReceiveInboundRequest()
        request.fromPhone = phone
        request.text = text
        request.receivedAtMs = millis
        request.providerMessageId = id
        return request
    }

    /// A lead answers `1`; orders is down at first, so the acknowledgement waits in the outbox
    /// and reaches orders later with the reply's own time.
    func testReplyOneAcknowledgesTheOrderThroughTheOutboxEvenWhenOrdersWasDown() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        _ = try await client.send(NotificationsFixture.sendRequest(key: "prompt-1", orderID: "order-42"), options: fixture.system)
        let replyAt = fixture.clock.nowMillis() + 90_000
        let answer = try await client.receiveInbound(inbound(" 1 ", at: replyAt, id: "in-1"), options: fixture.system)
        XCTAssertEqual(answer.outcome, .acknowledgementQueued)
        XCTAssertEqual(answer.orderId, "order-42")
        let again = try await client.receiveInbound(inbound(" 1 ", at: replyAt, id: "in-1"), options: fixture.system)
        XCTAssertEqual(again.outcome, .duplicate, "the provider's retry of one inbound SMS is handled once")
        let awaited1 = try await fixture.pool.query("SELECT count(*) FROM xsc_outbox")[0].decode(Int.self, at: 0)
        XCTAssertEqual(awaited1, 1)

        // Orders down: nothing listens at the first address.
        let orders = FakeOrders()
        var configuration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        configuration.handlesTerminationSignals = false
        let ordersServer = RPCServer(configuration: configuration, services: [orders])
        let up = Mutex(false)
        let dead = RPCChannel(host: "127.0.0.1", port: 1)
        let live = Mutex<RPCChannel?>(nil)
        let deliverer = RPCOutboxDeliverer(timeout: .seconds(5), channels: { name in
            guard name == InboundReplies.ordersDestination else { return nil }
            return up.withLock { $0 } ? live.withLock { $0 } : dead
        })
        var relayConfiguration = OutboxRelay.Configuration()
        relayConfiguration.reportError = { _, _ in }
        let relay = OutboxRelay(pool: fixture.pool, deliverer: deliverer, configuration: relayConfiguration, clock: fixture.clock.now)
        try await relay.runOnce()
        let pending = try await fixture.pool.query("SELECT state, attempts, method_path FROM xsc_outbox")[0]
        XCTAssertEqual(try pending.decode(String.self, at: 0), "pending", "orders down: the acknowledgement waits")
        XCTAssertEqual(try pending.decode(Int.self, at: 1), 1)
        XCTAssertEqual(try pending.decode(String.self, at: 2), "/xsc.orders.v1.OrderService/AcknowledgeBySms")

        try ordersServer.start()
        defer { ordersServer.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: ordersServer.port)
        defer { channel.close(); dead.close() }
        live.withLock { $0 = channel }
        up.withLock { $0 = true }
        fixture.clock.advance(by: .seconds(3600))
        try await relay.runOnce()
        let received = orders.received.withLock { $0 }
        XCTAssertEqual(received.count, 1)
        XCTAssertEqual(received.first?.orderId, "order-42")
        XCTAssertEqual(received.first?.accountId, "acct-lead-1", "as the account that owns the phone")
        XCTAssertEqual(received.first?.repliedAtMs, replyAt, "applied later, with the reply's original time")

        // The prompt is answered: another `1` has nothing left to acknowledge.
        let late = try await client.receiveInbound(inbound("收到", at: replyAt + 1000), options: fixture.system)
        XCTAssertEqual(late.outcome, .nothingToAcknowledge)
    }

    func testAmbiguousAndUnknownRepliesGetAnExplanationAndAreLoggedMasked() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        _ = try await client.send(NotificationsFixture.sendRequest(key: "p1", orderID: "order-1", code: "AAA1"), options: fixture.system)
        _ = try await client.send(NotificationsFixture.sendRequest(key: "p2", params: ["code": "BBB2", "summary": "x"],
                                                                   orderID: "order-2", code: "BBB2"), options: fixture.system)
        let now = fixture.clock.nowMillis()

        let ambiguous = try await client.receiveInbound(inbound("已收到订单", at: now), options: fixture.system)
        XCTAssertEqual(ambiguous.outcome, .ambiguous)
        let byCode = try await client.receiveInbound(inbound("aaa1", at: now), options: fixture.system)
        XCTAssertEqual(byCode.outcome, .acknowledgementQueued)
        XCTAssertEqual(byCode.orderId, "order-1")
        let nowSingle = try await client.receiveInbound(inbound("1", at: now), options: fixture.system)
        XCTAssertEqual(nowSingle.orderId, "order-2", "one open prompt left: `1` is unambiguous again")

        let gibberish = try await client.receiveInbound(inbound("明天再说 13812345678", at: now), options: fixture.system)
        XCTAssertEqual(gibberish.outcome, .notUnderstood)
        let stranger = try await client.receiveInbound(inbound("1", from: "13300000000", at: now), options: fixture.system)
        XCTAssertEqual(stranger.outcome, .nothingToAcknowledge)

        let replies = try await fixture.pool.query("""
            SELECT template, phone, body FROM messages WHERE idempotency_key LIKE 'inbound-reply:%' ORDER BY inbox_seq
            """)
        XCTAssertEqual(try replies.map { try $0.decode(String.self, at: 0) },
                       ["reply_ambiguous", "reply_not_understood", "reply_nothing_pending"])
        XCTAssertEqual(try replies[0].decode(String.self, at: 2), "【XSC重庆】您有2个待确认订单，请回复订单编号确认，例如BBB2。")
        XCTAssertEqual(try replies[2].decode(String.self, at: 1), "13300000000", "the answer goes to whoever wrote")
        let logged = fixture.logs.lines.filter { $0.contains("inbound sms not applied") }
        XCTAssertEqual(logged.count, 3)
        XCTAssertTrue(logged.allSatisfy { !$0.contains("13812345678") && !$0.contains("13300000000") }, "\(logged)")
        XCTAssertTrue(logged.contains { $0.contains("138****5678") })
        let awaited2 = try await fixture.pool.query("SELECT count(*) FROM xsc_outbox")[0].decode(Int.self, at: 0)
        XCTAssertEqual(awaited2, 2)
    }
}
