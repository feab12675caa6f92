import DomainKit
import Foundation
@testable import Notifications
import Postgres
import Synchronization
import XCTest

/// A send that succeeded is recorded even when the database refuses for a while: the round used
/// to give up on the first refusal (a pool exhausted under load), leaving the row leased, and it
/// was claimed again after its lease and sent a second time (seen in the campaigns replicas test
/// as participants with two result SMS).
final class DeliveryRecordTests: XCTestCase {
    /// Counts what reached the handset; the first send waits until the test says go.
    private final class GatedProvider: SMSProvider, Sendable {
        let name = "gated"
        let sent = Mutex<[String]>([])
        let sending = AsyncStream<Void>.makeStream()
        let proceed = AsyncStream<Void>.makeStream()
        func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String {
            let first = sent.withLock { sent in sent.append(sms.messageID); return sent.count == 1 }
            if first {
                sending.continuation.yield()
                for await _ in proceed.stream { break }
            }
            return "p-" + sms.messageID
        }
    }

    func testAnOutcomeIsRecordedOnceThePoolHasRoomAgainAndTheMessageIsNotSentTwice() async throws {
        let fixture = try await NotificationsFixture.make(self)
        defer { fixture.close() }
        // The worker's own pool: one connection, refusals after 50 ms of waiting.
        let pool = try fixture.database.pool("notifications", maxConnections: 1) { $0.acquireTimeout = .milliseconds(50) }
        var policy = DeliveryQueue.Policy()
        policy.quietHours = .none
        policy.lease = .seconds(60)
        let queue = DeliveryQueue(pool: pool, policy: policy, clock: fixture.clock.now)
        _ = try await pool.transaction { tx in
            try await MessageStore(clock: fixture.clock.now).insert(in: tx, NewMessage(
                id: MessageStore.makeID(), idempotencyKey: "record-once", recipientAccountID: nil,
                phone: MainlandPhone(mobile: "13812345678")!, template: "team_notice", body: "【XSC】团队公告：周会。",
                category: .staffSLA, regionCode: "hq", segments: SegmentCounter.count("x")))
        }
        let provider = GatedProvider()
        let worker = DeliveryWorker(queue: queue, provider: provider, logger: fixture.logger)

        // While the provider has the message, the test takes the pool's one connection, so the
        // record after the send is refused (poolExhausted) until the test lets go.
        let round = Task { try await worker.runOnce() }
        for await _ in provider.sending.stream { break }
        let holding = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                holding.continuation.yield()
                for await _ in release.stream { break }
            }
        }
        for await _ in holding.stream { break }
        provider.proceed.continuation.yield()
        try await Task.sleep(for: .milliseconds(400))  // several refused records
        release.continuation.yield()
        try await holder.value
        let claimed = try await round.value
        XCTAssertEqual(claimed, 1)

        XCTAssertEqual(provider.sent.withLock { $0.count }, 1)
        let state = try await pool.query("SELECT state FROM messages WHERE idempotency_key = 'record-once'")[0].decode(String.self, at: 0)
        XCTAssertEqual(state, "sent", "recorded after the refusals")
        // Past the lease nothing is claimed again: the row is sent, not leased.
        fixture.clock.advance(by: .seconds(120))
        let again = try await worker.runOnce()
        XCTAssertEqual(again, 0)
        XCTAssertEqual(provider.sent.withLock { $0.count }, 1, "sent once")
        XCTAssertTrue(fixture.logs.lines.contains { $0.contains("sms outcome not recorded yet") }, "the refusals were seen")
    }
}
