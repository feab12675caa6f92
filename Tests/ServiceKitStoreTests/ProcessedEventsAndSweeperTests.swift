import XSCTestSupport
import Postgres
import ServiceKitStore
import XCTest

final class ProcessedEventsAndSweeperTests: XCTestCase {
    private var fixture: StoreFixture!
    private var pool: PostgresPool!
    private let clock = ManualWallClock()

    override func setUp() async throws {
        let service = "svc"
        fixture = try await StoreFixture.make(self, services: [service: [
            Migration(version: 1, name: "effects", sql: "CREATE TABLE effects (event_id text NOT NULL);"),
        ]])
        pool = try fixture.pool(service, maxConnections: 8)
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    func testConcurrentDuplicatesApplyAnEventOnce() async throws {
        let events = ProcessedEvents(clock: clock.now)
        let pool = self.pool!
        let start = Barrier(count: 20)
        let firsts = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await start.arriveAndWait()
                    return try await pool.transaction { transaction in
                        guard try await events.applyOnce(in: transaction, eventID: "evt-1") else { return false }
                        try await transaction.execute("INSERT INTO effects (event_id) VALUES ('evt-1')")
                        return true
                    }
                }
            }
            var firsts = 0
            for try await first in group where first { firsts += 1 }
            return firsts
        }
        XCTAssertEqual(firsts, 1)
        let effects = try await pool.count("SELECT count(*) FROM effects")
        XCTAssertEqual(effects, 1)
    }

    func testARolledBackApplicationDoesNotCount() async throws {
        let events = ProcessedEvents(clock: clock.now)
        struct Abort: Error {}
        do {
            try await pool.transaction { transaction in
                _ = try await events.applyOnce(in: transaction, eventID: "evt-2")
                throw Abort()
            }
        } catch is Abort {}
        let first = try await pool.transaction { try await events.applyOnce(in: $0, eventID: "evt-2") }
        XCTAssertTrue(first)
    }

    func testTheSweeperDropsOnlyWhatIsPastRetention() async throws {
        let clock = self.clock
        let idempotency = IdempotencyStore(clock: clock.now)
        let events = ProcessedEvents(clock: clock.now)
        let outbox = Outbox(clock: clock.now)
        let timers = Timers(clock: clock.now)
        // Old: one of each kind, all finished.
        try await pool.transaction { transaction in
            if case .fresh(let ticket) = try await idempotency.claim(in: transaction, scope: "s", key: "old", request: [1]) {
                try await idempotency.record(in: transaction, ticket, answer: .init(response: [2]))
            }
            _ = try await events.applyOnce(in: transaction, eventID: "old")
            try await outbox.enqueue(in: transaction, destination: "peer", methodPath: "/p/M", payload: [], eventID: "old-delivered")
            try await outbox.enqueue(in: transaction, destination: "peer", methodPath: "/p/M", payload: [], eventID: "old-pending")
            try await timers.schedule(in: transaction, kind: "k", subjectID: "old", dueAtMillis: clock.nowMillis())
        }
        let deliverOne = ScriptedDeliverer(.succeed)
        var relayConfiguration = OutboxRelay.Configuration()
        relayConfiguration.batchSize = 1
        try await OutboxRelay(pool: pool, deliverer: deliverOne, configuration: relayConfiguration, clock: clock.now).runOnce()
        try await TimerWorker(pool: pool, handlers: ["k": { _, _ in }], clock: clock.now).runOnce()

        clock.advance(by: .seconds(8 * 24 * 3600))
        // Young: same kinds again.
        try await pool.transaction { transaction in
            _ = try await idempotency.claim(in: transaction, scope: "s", key: "young", request: [1])
            _ = try await events.applyOnce(in: transaction, eventID: "young")
        }

        let report = try await RetentionSweeper(pool: pool, clock: clock.now).sweep()
        XCTAssertEqual(report, RetentionSweeper.Report(idempotencyKeys: 1, processedEvents: 1, deliveredOutbox: 1, firedTimers: 1))
        let keys = try await pool.query("SELECT idempotency_key FROM xsc_idempotency_keys")
        XCTAssertEqual(try keys.map { try $0.decode(String.self, at: 0) }, ["young"])
        let outboxLeft = try await pool.query("SELECT event_id FROM xsc_outbox")
        XCTAssertEqual(try outboxLeft.map { try $0.decode(String.self, at: 0) }, ["old-pending"], "undelivered rows are never swept")
        let again = try await RetentionSweeper(pool: pool, clock: clock.now).sweep()
        XCTAssertEqual(again, RetentionSweeper.Report())
    }
}
