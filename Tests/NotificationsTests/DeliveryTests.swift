import DomainKit
import XSCTestSupport
import Foundation
import Messages
@testable import Notifications
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import XCTest

final class DeliveryTests: XCTestCase {
    private func policy(_ configure: (inout DeliveryQueue.Policy) -> Void = { _ in }) -> DeliveryQueue.Policy {
        var policy = DeliveryQueue.Policy()
        policy.quietHours = .none
        policy.rateLimit = RecipientRateLimit(maxMessages: 1000, window: .seconds(60))
        policy.retry = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1), maxAttempts: 40)
        configure(&policy)
        return policy
    }

    private func worker(_ fixture: NotificationsFixture, _ provider: any SMSProvider, _ policy: DeliveryQueue.Policy) -> DeliveryWorker {
        DeliveryWorker(queue: DeliveryQueue(pool: fixture.pool, policy: policy, clock: fixture.clock.now), provider: provider,
                       logger: fixture.logger)
    }

    private func states(_ pool: PostgresPool) async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try await pool.query("SELECT state, count(*) FROM messages GROUP BY state") {
            result[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        return result
    }

    /// Two replicas deliver through a gateway that refuses, fails after accepting, or hangs at
    /// random; every key is sent twice. One message per key, each reaches a final state, and
    /// every sent message reached the handset exactly once.
    func testUnreliableGatewayEveryKeyOneMessageOneHandsetDeliveryFinalState() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let gateway = try FakeSMSGateway(.init(refuseRate: 0.3, acceptThenFailRate: 0.15, acceptThenHangRate: 0.05,
                                               blockedPhones: ["+8613900000009"]))
        defer { gateway.stop() }
        let client = try fixture.serve()
        let provider = HTTPGatewayProvider(configuration: gateway.configuration(), clock: fixture.clock.now)
        let replicas = [worker(fixture, provider, policy()), worker(fixture, provider, policy())]

        let phones = (0..<10).map { "1390000000\($0)" }
        var ids: [String: String] = [:]
        for index in 0..<30 {
            let request = NotificationsFixture.sendRequest(key: "k-\(index)", account: "acct-\(index % 10)",
                                                           phone: phones[index % 10], params: ["code": "C\(index)X", "summary": "订单\(index)"])
            async let first = client.send(request, options: fixture.system)
            async let second = client.send(request, options: fixture.system)
            let (a, b) = try await (first, second)
            XCTAssertEqual(a.message?.id, b.message?.id, "same key, same request: the same message")
            ids["k-\(index)"] = a.message?.id
        }
        XCTAssertEqual(Set(ids.values).count, 30)
        var reused = NotificationsFixture.sendRequest(key: "k-0", params: ["code": "ZZZZ", "summary": "另一个"])
        reused.phone = phones[0]
        do {
            _ = try await client.send(reused, options: fixture.system)
            XCTFail("same key with a different request must fail")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .failedPrecondition)
        }

        var rounds = 0
        while try await states(fixture.pool)["queued", default: 0] > 0 && rounds < 500 {
            async let one = replicas[0].runOnce()
            async let two = replicas[1].runOnce()
            _ = try await (one, two)
            fixture.clock.advance(by: .seconds(2))
            rounds += 1
        }
        let final = try await states(fixture.pool)
        print("unreliable gateway: \(gateway.requests.load(ordering: .relaxed)) requests for 30 messages, \(rounds) rounds, final \(final)")
        XCTAssertEqual(final["queued"], nil, "every message reached a final state: \(final)")
        let awaited1 = try await fixture.pool.query("SELECT count(*) FROM messages")[0].decode(Int.self, at: 0)
        XCTAssertEqual(awaited1, 30)
        XCTAssertGreaterThan(gateway.requests.load(ordering: .relaxed), 30, "the gateway's failures caused retries")
        XCTAssertEqual(gateway.badSignatures.load(ordering: .relaxed), 0)

        let handset = gateway.deliveredToHandset
        for row in try await fixture.pool.query("SELECT id, state, phone, failure_reason, attempts FROM messages") {
            let id = try row.decode(String.self, at: 0)
            let state = try row.decode(String.self, at: 1)
            if try row.decode(String.self, at: 2) == "13900000009" {
                XCTAssertEqual(state, "failed")
                XCTAssertTrue(try row.decode(String?.self, at: 3)?.contains("blocked") == true, "reason kept")
                XCTAssertEqual(try row.decode(Int.self, at: 4), 1, "a permanent refusal is not retried")
                XCTAssertNil(handset[id])
            } else {
                XCTAssertEqual(state, "sent", "retries outlast random failures (40 attempts)")
                XCTAssertEqual(handset[id], 1, "one SMS on the handset for message \(id)")
            }
        }
        XCTAssertFalse(fixture.logs.lines.contains { $0.contains("13900000001") }, "logs never carry a full number")
    }

    /// The running worker: a wake (what Send calls after committing) starts a round at once
    /// (its poll interval is far longer than the test),
    /// many short waits in a row never strand it, and stop returns.
    func testRunningWorkerIsWokenBySendAndStops() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString).jsonl"
        var configuration = DeliveryWorker.Configuration()
        configuration.pollInterval = .seconds(3600)
        let delivery = DeliveryWorker(queue: DeliveryQueue(pool: fixture.pool, policy: policy(), clock: fixture.clock.now),
                                      provider: DevFileProvider(path: file, clock: fixture.clock.now),
                                      configuration: configuration, logger: fixture.logger)
        delivery.start()
        for index in 0..<3 {
            _ = try await fixture.pool.transaction { tx in
                try await MessageStore(clock: fixture.clock.now).insert(in: tx, NewMessage(
                    id: MessageStore.makeID(), idempotencyKey: "wake-\(index)", recipientAccountID: nil,
                    phone: MainlandPhone(mobile: "13812345678")!, template: "team_notice", body: "【XSC】团队公告：周会。请登录系统查看。",
                    category: .staffSLA, regionCode: "hq", segments: SegmentCounter.count("x")))
            }
            delivery.wake()
            try await eventually("message \(index) sent by the woken worker") {
                try await self.states(fixture.pool)["sent"] == index + 1
            }
        }
        await delivery.stop()
    }

    /// A worker that dies after claiming leaves the message to the next claimer once the lease
    /// ends; if the first one was only slow, its late outcome is ignored.
    func testExpiredLeaseIsReclaimedAndTheStaleOutcomeIgnored() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        _ = try await client.send(NotificationsFixture.sendRequest(key: "lease"), options: fixture.system)
        let queue = DeliveryQueue(pool: fixture.pool, policy: policy(), clock: fixture.clock.now)
        let first = try await queue.claim(limit: 10)
        XCTAssertEqual(first.map(\.sms.attempt), [1])
        let whileLeased = try await queue.claim(limit: 10)
        XCTAssertEqual(whileLeased, [], "a leased message is not claimed twice")
        fixture.clock.advance(by: .seconds(61))
        let second = try await queue.claim(limit: 10)
        XCTAssertEqual(second.map(\.sms.attempt), [2])
        XCTAssertEqual(second.first?.sms.messageID, first.first?.sms.messageID)
        let stale = try await queue.record(first[0], .sent(provider: "p", providerMessageID: "late"))
        XCTAssertNil(stale, "the first lease is gone")
        let current = try await queue.record(second[0], .sent(provider: "p", providerMessageID: "current"))
        XCTAssertEqual(current, .sent)
        let id = try await fixture.pool.query("SELECT provider_message_id FROM messages")[0].decode(String.self, at: 0)
        XCTAssertEqual(id, "current")
    }

    func testChangeSignalWakesWaitersAndTimesOut() async {
        let signal = ChangeSignal()
        let seen = signal.generation
        await signal.wait(since: seen, timeout: .milliseconds(1)) // times out
        for _ in 0..<200 { await signal.wait(since: seen, timeout: .nanoseconds(1)) } // never strands a waiter
        let waiter = Task { await signal.wait(since: seen, timeout: .seconds(3600)) }
        signal.post()
        await waiter.value
        XCTAssertEqual(signal.generation, seen + 1)
        await signal.wait(since: seen, timeout: .seconds(3600)) // already moved: returns at once
    }

    func testDevProviderWritesTheFileAndReceiptsMoveStates() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString)/dev.jsonl"
        let client = try fixture.serve()
        let first = try await client.send(NotificationsFixture.sendRequest(key: "r1"), options: fixture.system).message
        let second = try await client.send(NotificationsFixture.sendRequest(key: "r2", phone: "13987654321"), options: fixture.system).message
        XCTAssertEqual(first?.state, .queued)
        XCTAssertEqual(first?.recipientPhoneMasked, "138****5678")
        XCTAssertEqual(first?.text, "【XSC重庆】新订单A7K2：五粮液2箱，请5分钟内回复1确认。")
        XCTAssertEqual(first?.segments, 1)

        let delivery = worker(fixture, DevFileProvider(path: file, clock: fixture.clock.now), policy())
        let awaited2 = try await delivery.runOnce()
        XCTAssertEqual(awaited2, 2)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let line = try XCTUnwrap(lines.first { $0.contains(first?.id ?? "?") })
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(json["to"] as? String, "13812345678", "the dev file is the developer's phone: full number")
        XCTAssertEqual(json["text"] as? String, first?.text)

        let sent = try await client.getMessage(.with(id: first?.id ?? ""), options: fixture.system)
        XCTAssertEqual(sent.state, .sent)
        XCTAssertEqual(sent.sentAtMs, fixture.clock.nowMillis())

        var receipt = Xsc_Notifications_V1_ReportDeliveryRequest()
        receipt.providerMessageId = "dev-" + (first?.id ?? "")
        receipt.status = .delivered
        receipt.reportedAtMs = fixture.clock.nowMillis() + 1500
        let delivered = try await client.reportDelivery(receipt, options: fixture.system).message
        XCTAssertEqual(delivered?.state, .delivered)
        XCTAssertEqual(delivered?.deliveredAtMs, fixture.clock.nowMillis() + 1500)
        receipt.status = .failed
        let awaited3 = try await client.reportDelivery(receipt, options: fixture.system).message?.state
        XCTAssertEqual(awaited3, .delivered,
                       "a late receipt does not reopen a final state")

        receipt.providerMessageId = "dev-" + (second?.id ?? "")
        receipt.errorCode = "UNDELIV:MK:0001"
        let failed = try await client.reportDelivery(receipt, options: fixture.system).message
        XCTAssertEqual(failed?.state, .failed)
        XCTAssertEqual(failed?.failureReason, "receipt: UNDELIV:MK:0001")

        receipt.providerMessageId = "dev-unknown"
        await assertRPCError(.notFound) { _ = try await client.reportDelivery(receipt, options: fixture.system) }
        await assertRPCError(.permissionDenied) { _ = try await client.reportDelivery(receipt, options: fixture.options("acct-lead-1")) }
    }

    func testRateLimitDefersTheExcessAndDropsNothing() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        let client = try fixture.serve()
        for index in 0..<5 {
            _ = try await client.send(NotificationsFixture.sendRequest(key: "burst-\(index)"), options: fixture.system)
        }
        _ = try await client.send(NotificationsFixture.sendRequest(key: "other", phone: "13700000000"), options: fixture.system)
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString).jsonl"
        let delivery = worker(fixture, DevFileProvider(path: file, clock: fixture.clock.now), policy {
            $0.rateLimit = RecipientRateLimit(maxMessages: 2, window: .seconds(60))
        })
        let start = fixture.clock.nowMillis()
        try await delivery.runOnce()
        let awaited4 = try await states(fixture.pool)
        XCTAssertEqual(awaited4, ["sent": 3, "queued": 3], "2 for the busy phone, 1 for the other")
        let deferred = try await fixture.pool.query("SELECT DISTINCT next_attempt_at FROM messages WHERE state = 'queued'")
        XCTAssertEqual(try deferred.map { try $0.decode(Int64.self, at: 0) }, [start + 60_000], "waits for the window to make room")

        fixture.clock.advance(by: .seconds(30))
        try await delivery.runOnce()
        let awaited5 = try await states(fixture.pool)["queued"]
        XCTAssertEqual(awaited5, 3, "not before the window made room")
        fixture.clock.advance(by: .seconds(30))
        try await delivery.runOnce()
        let awaited6 = try await states(fixture.pool)
        XCTAssertEqual(awaited6, ["sent": 5, "queued": 1])
        fixture.clock.advance(by: .seconds(60))
        try await delivery.runOnce()
        let awaited7 = try await states(fixture.pool)
        XCTAssertEqual(awaited7, ["sent": 6])
    }

    func testQuietHoursHoldCustomerMessagesButNotStaffSLA() async throws {
        // 2026-11-16 23:00 in Shanghai.
        let fixture = try await NotificationsFixture.make(self, startingAt: NotificationsFixture.mondayMorning + 13 * 3_600_000)
        defer { fixture.close() }
        let client = try fixture.serve()
        let customer = try await client.send(NotificationsFixture.sendRequest(
            key: "c1", account: nil, phone: "13600000000", template: "customer_order_confirmed", params: ["code": "A7K2"],
            category: .customer), options: fixture.system).message
        let staff = try await client.send(NotificationsFixture.sendRequest(key: "s1"), options: fixture.system).message
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString).jsonl"
        let delivery = worker(fixture, DevFileProvider(path: file, clock: fixture.clock.now), policy {
            $0.quietHours = QuietHours(startMinute: 21 * 60, endMinute: 8 * 60, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        })
        try await delivery.runOnce()
        let heldCustomer = try await client.getMessage(.with(id: customer?.id ?? ""), options: fixture.system)
        let awaited8 = try await client.getMessage(.with(id: staff?.id ?? ""), options: fixture.system).state
        XCTAssertEqual(awaited8, .sent)
        XCTAssertEqual(heldCustomer.state, .queued)
        let eightNextMorning = NotificationsFixture.mondayMorning + 22 * 3_600_000
        XCTAssertEqual(heldCustomer.nextAttemptAtMs, eightNextMorning)
        XCTAssertEqual(heldCustomer.attempts, 0, "deferred, not attempted")

        fixture.clock.advance(by: .seconds(8 * 3600 + 59 * 60))
        try await delivery.runOnce()
        let awaited9 = try await client.getMessage(.with(id: customer?.id ?? ""), options: fixture.system).state
        XCTAssertEqual(awaited9, .queued)
        fixture.clock.advance(by: .seconds(60))
        try await delivery.runOnce()
        let awaited10 = try await client.getMessage(.with(id: customer?.id ?? ""), options: fixture.system).state
        XCTAssertEqual(awaited10, .sent)
    }

    func testUsageIsCountedPerRegionAndMonthInTheOrganisationTimeZone() async throws {
        // 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Shanghai.
        let fixture = try await NotificationsFixture.make(self, startingAt: 1_793_464_200_000)
        defer { fixture.close() }
        let client = try fixture.serve()
        let long = String(repeating: "酒", count: 60)
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u1", region: "cq"), options: fixture.system)
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u2", params: ["code": "B1B1", "summary": long], region: "cq"),
                                  options: fixture.system)
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u3", phone: "13700000000", region: "sc"), options: fixture.system)
        let file = NSTemporaryDirectory() + "xsc-sms-\(UUID().uuidString).jsonl"
        let delivery = worker(fixture, DevFileProvider(path: file, clock: fixture.clock.now), policy())
        try await delivery.runOnce()
        fixture.clock.advance(by: .seconds(31 * 24 * 3600))
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u4", region: "cq"), options: fixture.system)
        try await delivery.runOnce()
        _ = try await client.send(NotificationsFixture.sendRequest(key: "u5-unsent", region: "cq"), options: fixture.system)

        let all = try await client.usageReport(Xsc_Notifications_V1_UsageReportRequest(), options: fixture.options("hq", role: .admin))
        XCTAssertEqual(all.rows.map { "\($0.regionCode) \($0.month) \($0.messages) \($0.segments)" },
                       ["cq 2026-11 2 3", "cq 2026-12 1 1", "sc 2026-11 1 1"])
        // Each region pays its own SMS: its manager sees its own usage, never another region's.
        let own = try await client.usageReport(Xsc_Notifications_V1_UsageReportRequest(),
                                               options: fixture.options("m", role: .manager, team: "/hq/sc"))
        XCTAssertEqual(own.rows.map(\.regionCode), ["sc"])
        var filtered = Xsc_Notifications_V1_UsageReportRequest()
        filtered.regionCode = "cq"
        filtered.fromMonth = "2026-12"
        let awaited11 = try await client.usageReport(filtered, options: fixture.system).rows.map(\.month)
        XCTAssertEqual(awaited11, ["2026-12"])
        filtered.toMonth = "2026-13"
        await assertRPCError(.invalidArgument) { _ = try await client.usageReport(filtered, options: fixture.system) }
        await assertRPCError(.permissionDenied) { _ = try await client.usageReport(filtered, options: fixture.options("s")) }
    }
}

extension Xsc_Notifications_V1_GetMessageRequest {
    static func with(id: String) -> Self {
        var request = Self()
        request.id = id
        return request
    }
}

func assertRPCError(_ code: StatusCode, file: StaticString = #filePath, line: UInt = #line,
                    _ body: () async throws -> Void) async {
    do {
        try await body()
        XCTFail("expected \(code)", file: file, line: line)
    } catch let error as RPCError {
        XCTAssertEqual(error.code, code, error.message, file: file, line: line)
    } catch {
        XCTFail("expected RPCError \(code), got \(error)", file: file, line: line)
    }
}
