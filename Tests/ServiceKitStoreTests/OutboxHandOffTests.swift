import XSCTestSupport
import Postgres
import RPC
import ServiceKitStore
import Synchronization
import XCTest

/// The relay's hand-over (issue 15): a row committed through the relay's own pool is delivered
/// at once, without a claim; the row stays the durable fallback, so nothing is lost when the
/// hand-over never happens and nothing is delivered twice while the writer's lease holds.
final class OutboxHandOffTests: XCTestCase {
    private var fixture: StoreFixture!
    private let sender = "sender"
    private let clock = ManualWallClock()
    private var outbox: Outbox { Outbox(clock: clock.now) }

    override func setUp() async throws {
        fixture = try await StoreFixture.make(self, services: [
            sender: [Migration(version: 1, name: "orders", sql: "CREATE TABLE orders (id text PRIMARY KEY);")],
        ])
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    private func configuration(pollInterval: Duration = .seconds(3600)) -> OutboxRelay.Configuration {
        var configuration = OutboxRelay.Configuration()
        configuration.lease = .seconds(60)
        configuration.pollInterval = pollInterval
        configuration.stopGracePeriod = .zero
        configuration.retry = RetryPolicy(baseDelay: .seconds(10), maxDelay: .seconds(60), maxAttempts: 20)
        configuration.reportError = { _, _ in }
        configuration.handOff = true
        return configuration
    }

    private func placeOrder(_ name: String, pool: PostgresPool) async throws -> String {
        let eventID = Outbox.makeEventID()
        let outbox = self.outbox
        try await pool.transaction { transaction in
            try await transaction.execute("INSERT INTO orders (id) VALUES ($1)", [.text(name)])
            try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: "/x/Y", payload: Array(name.utf8),
                                     eventID: eventID)
        }
        return eventID
    }

    func testACommittedRowIsDeliveredAtOnceWithoutTheRelayPolling() async throws {
        let pool = try fixture.pool(sender)
        let deliverer = ScriptedDeliverer(.succeed)
        // The poll sleeps for an hour: only the hand-over can deliver within the test.
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration(), clock: clock.now)
        relay.start()
        var eventIDs: [String] = []
        for index in 0..<5 { eventIDs.append(try await placeOrder("order-\(index)", pool: pool)) }
        // A pipeline of the business statements with the enqueue statement (as orders' intake sends it).
        let piped = Outbox.makeEventID()
        try await pool.run([PostgresStatement("INSERT INTO orders (id) VALUES ('piped')"),
                            outbox.enqueueStatement(destination: "receiver", methodPath: "/x/Y", payload: [], eventID: piped)])
        eventIDs.append(piped)
        try await eventually("all delivered") {
            try await pool.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == 6
        }
        await relay.stop()
        XCTAssertEqual(deliverer.delivered.withLock { $0 }.sorted(), eventIDs.sorted(), "each once")
        for eventID in eventIDs {
            let entry = try await outbox.entry(pool: pool, eventID: eventID)
            XCTAssertEqual(entry?.attempts, 1, "one attempt, recorded with the outcome")
            XCTAssertNotNil(entry?.deliveredAtMillis)
        }
    }

    func testARolledBackRowIsNeverDelivered() async throws {
        let pool = try fixture.pool(sender)
        let deliverer = ScriptedDeliverer(.succeed)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration(), clock: clock.now)
        relay.start()
        struct Abort: Error {}
        let outbox = self.outbox
        do {
            try await pool.transaction { transaction in
                try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: "/x/Y", payload: [],
                                         eventID: "rolled-back")
                throw Abort()
            }
        } catch is Abort {}
        // A taken business key fails the whole pipeline, the outbox row with it.
        _ = try await placeOrder("taken", pool: pool)
        do {
            try await pool.run([outbox.enqueueStatement(destination: "receiver", methodPath: "/x/Y", payload: [], eventID: "failed"),
                                PostgresStatement("INSERT INTO orders (id) VALUES ('taken')")])
            XCTFail("expected a unique violation")
        } catch {}
        let committed = try await placeOrder("committed", pool: pool)
        try await eventually("the committed one delivered") {
            (try await outbox.entry(pool: pool, eventID: committed))?.state == .delivered
        }
        await relay.stop()
        XCTAssertFalse(deliverer.delivered.withLock { $0 }.contains("rolled-back"))
        XCTAssertFalse(deliverer.delivered.withLock { $0 }.contains("failed"))
        let rows = try await pool.count("SELECT count(*) FROM xsc_outbox WHERE event_id IN ('rolled-back', 'failed')")
        XCTAssertEqual(rows, 0)
    }

    /// The writer died before handing its rows over (here: no relay listened when they
    /// committed). Other relays leave the rows alone for the lease, then deliver each once.
    func testRowsNeverHandedOverAreDeliveredOnceByThePollAfterTheLease() async throws {
        let writer = try fixture.pool(sender)
        var eventIDs: [String] = []
        for index in 0..<3 { eventIDs.append(try await placeOrder("order-\(index)", pool: writer)) }
        let deliverer = ScriptedDeliverer(.succeed)
        let survivor = OutboxRelay(pool: try fixture.pool(sender), deliverer: deliverer, configuration: configuration(),
                                   clock: clock.now)
        var claimed = try await survivor.runOnce()
        XCTAssertEqual(claimed, 0, "within the writer's lease")
        clock.advance(by: .seconds(59))
        claimed = try await survivor.runOnce()
        XCTAssertEqual(claimed, 0, "still within the writer's lease")
        clock.advance(by: .seconds(2))
        claimed = try await survivor.runOnce()
        XCTAssertEqual(claimed, 3)
        XCTAssertEqual(deliverer.delivered.withLock { $0 }.sorted(), eventIDs.sorted())
        claimed = try await survivor.runOnce()
        XCTAssertEqual(claimed, 0)
        // A relay without the hand-over (the pre-issue-15 form) claims fresh rows at once.
        let fresh = try await placeOrder("fresh", pool: writer)
        let plain = OutboxRelay(pool: writer, deliverer: deliverer, configuration: {
            var plain = configuration()
            plain.handOff = false
            return plain
        }(), clock: clock.now)
        claimed = try await plain.runOnce()
        XCTAssertEqual(claimed, 1)
        XCTAssertEqual(deliverer.delivered.withLock { $0 }.last, fresh)
    }

    /// Two replicas, each relay handing over its own process's rows and polling too: every row
    /// is delivered exactly once.
    func testReplicasHandingOverAndPollingDeliverEachRowOnce() async throws {
        let poolA = try fixture.pool(sender)
        let poolB = try fixture.pool(sender)
        let deliverer = ScriptedDeliverer(.succeed)
        let relayA = OutboxRelay(pool: poolA, deliverer: deliverer, configuration: configuration(pollInterval: .milliseconds(20)),
                                 clock: clock.now, name: "a")
        let relayB = OutboxRelay(pool: poolB, deliverer: deliverer, configuration: configuration(pollInterval: .milliseconds(20)),
                                 clock: clock.now, name: "b")
        relayA.start()
        relayB.start()
        var eventIDs: [String] = []
        for index in 0..<30 {
            eventIDs.append(try await placeOrder("order-\(index)", pool: index % 2 == 0 ? poolA : poolB))
        }
        try await eventually("all delivered") {
            try await poolA.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == 30
        }
        await relayA.stop()
        await relayB.stop()
        let delivered = deliverer.delivered.withLock { $0 }
        XCTAssertEqual(delivered.count, 30, "none twice")
        XCTAssertEqual(Set(delivered), Set(eventIDs))
    }

    func testHandedOverRowsAreMarkedWhateverCharactersTheirEventIDsHold() async throws {
        let pool = try fixture.pool(sender)
        let deliverer = ScriptedDeliverer(.succeed)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration(), clock: clock.now)
        relay.start()
        let eventIDs = ["tab\there", "bell\u{7}", "quote\"and\\backslash", "漢字/😀", "newline\n", "{\"json\": [1]}"]
        let outbox = self.outbox
        for eventID in eventIDs {
            try await pool.run([outbox.enqueueStatement(destination: "receiver", methodPath: "/x/Y", payload: [], eventID: eventID)])
        }
        try await eventually("all marked delivered") {
            try await pool.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == eventIDs.count
        }
        await relay.stop()
        XCTAssertEqual(Set(deliverer.delivered.withLock { $0 }), Set(eventIDs))
    }

    func testAFailedHandOverIsRecordedAndRetriedByThePoll() async throws {
        let pool = try fixture.pool(sender)
        let deliverer = ScriptedDeliverer(.failRetryable)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration(), clock: clock.now)
        relay.start()
        let eventID = try await placeOrder("order", pool: pool)
        try await eventually("the failure recorded") {
            (try await outbox.entry(pool: pool, eventID: eventID))?.attempts == 1
        }
        await relay.stop()
        let entry = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertEqual(entry?.lastError, "peer down (test)")
        let wait = (entry?.nextAttemptAtMillis ?? 0) - clock.nowMillis()
        XCTAssertTrue((5_000...10_000).contains(wait), "retry in \(wait) ms, as after a claimed attempt")

        deliverer.mode.withLock { $0 = .succeed }
        clock.advance(by: .seconds(11))
        let claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1, "a row attempted once is the poll's at once when due")
        let after = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(after?.state, .delivered)
        XCTAssertEqual(after?.attempts, 2)
        XCTAssertEqual(deliverer.delivered.withLock { $0 }, [eventID])
    }

    func testTheRPCDelivererSendsABatchPerPeerAndKeepsEachOutcome() async throws {
        var serverConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        serverConfiguration.handlesTerminationSignals = false
        serverConfiguration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(configuration: serverConfiguration, services: [ProbeService()])
        try server.start()
        let first = RPCChannel(host: "127.0.0.1", port: server.port)
        let second = first.sibling(host: "127.0.0.1", port: server.port)
        defer {
            first.close()
            second.close()
            server.shutdown()
        }
        let deliverer = RPCOutboxDeliverer(channels: ["a": first, "b": second])
        func message(_ method: String, _ destination: String) -> OutboxMessage {
            OutboxMessage(eventID: "evt-\(method)-\(destination)", destination: destination, methodPath: "/test.Probe/" + method,
                          payload: [], attempt: 1)
        }
        let errors = await deliverer.deliver(batch: [message("Echo", "a"), message("Invalid", "b"), message("Unavailable", "a"),
                                                     message("Echo", "nobody"), message("Echo", "b")])
        XCTAssertNil(errors[0])
        guard case OutboxDeliveryError.permanent = errors[1] as Any else { return XCTFail("\(String(describing: errors[1]))") }
        XCTAssertEqual((errors[2] as? RPCError)?.code, .unavailable)
        guard case OutboxDeliveryError.unknownDestination("nobody") = errors[3] as Any else {
            return XCTFail("\(String(describing: errors[3]))")
        }
        XCTAssertNil(errors[4])
    }
}
