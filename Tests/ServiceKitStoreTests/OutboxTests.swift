import XSCTestSupport
import Postgres
import ProtoCodec
import RPC
import ServiceKitStore
import XCTest

final class OutboxTests: XCTestCase {
    private var fixture: StoreFixture!
    private let sender = "sender"
    private let receiver = "receiver"
    private let clock = ManualWallClock()
    private var outbox: Outbox { Outbox(clock: clock.now) }

    override func setUp() async throws {
        fixture = try await StoreFixture.make(self, services: [
            sender: [Migration(version: 1, name: "orders", sql: "CREATE TABLE orders (id text PRIMARY KEY);")],
            receiver: ReceiverService.migrations,
        ])
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    private func relayConfiguration(batchSize: Int = 5, maxAttempts: Int = 20) -> OutboxRelay.Configuration {
        var configuration = OutboxRelay.Configuration()
        configuration.batchSize = batchSize
        configuration.maxBatchSize = batchSize  // fixed batches: these tests count rows per claim
        configuration.lease = .seconds(60)
        configuration.pollInterval = .milliseconds(50)
        configuration.stopGracePeriod = .zero
        configuration.retry = RetryPolicy(baseDelay: .seconds(10), maxDelay: .seconds(60), maxAttempts: maxAttempts)
        configuration.reportError = { _, _ in }
        return configuration
    }

    /// Commits `count` orders, each with its outbox event; returns the event ids.
    private func placeOrders(_ count: Int, pool: PostgresPool, destination: String = "receiver") async throws -> [String] {
        var eventIDs: [String] = []
        for index in 0..<count {
            let eventID = Outbox.makeEventID()
            let outbox = self.outbox
            try await pool.transaction { transaction in
                try await transaction.execute("INSERT INTO orders (id) VALUES ($1)", [.text("order-\(index)")])
                try await outbox.enqueue(in: transaction, destination: destination, methodPath: ReceiverService.path,
                                         payload: Array("order-\(index)".utf8), eventID: eventID)
            }
            eventIDs.append(eventID)
        }
        return eventIDs
    }

    func testTheOutboxRowCommitsAndRollsBackWithTheBusinessRow() async throws {
        let pool = try fixture.pool(sender)
        struct Abort: Error {}
        let outbox = self.outbox
        do {
            try await pool.transaction { transaction in
                try await transaction.execute("INSERT INTO orders (id) VALUES ('rolled-back')")
                try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: "/x/Y", payload: [1])
                throw Abort()
            }
        } catch is Abort {}
        let rolledBack = try await pool.count("SELECT count(*) FROM xsc_outbox")
        XCTAssertEqual(rolledBack, 0)
        let committed = try await placeOrders(1, pool: pool)
        let entry = try await outbox.entry(pool: pool, eventID: committed[0])
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertEqual(entry?.attempts, 0)
    }

    /// The Done criterion: every event reaches the receiver at least once across a relay that
    /// dies after delivering and before recording, and the receiver applies each effect once.
    func testEveryEventArrivesAcrossARelayKillAndIsAppliedOnce() async throws {
        let receiverService = ReceiverService(pool: try fixture.pool(receiver))
        var serverConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        serverConfiguration.handlesTerminationSignals = false
        serverConfiguration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(configuration: serverConfiguration, services: [receiverService])
        try server.start()
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer {
            channel.close()
            server.shutdown()
        }
        let rpcDeliverer = RPCOutboxDeliverer(channels: ["receiver": channel], timeout: .seconds(10))

        let senderPool = try fixture.pool(sender)
        let eventIDs = try await placeOrders(20, pool: senderPool)

        // Replica A delivers one batch of 5, then dies before recording any of it.
        let dying = DyingDeliverer(inner: rpcDeliverer, healthyDeliveries: 3)
        let relayA = OutboxRelay(pool: try fixture.pool(sender), deliverer: dying,
                                 configuration: relayConfiguration(batchSize: 5), clock: clock.now, name: "relay-a")
        relayA.start()
        try await eventually("relay A is stuck after delivering") { dying.stuck.load(ordering: .relaxed) == 2 }
        await relayA.stop()
        let arrivedBeforeKill = receiverService.arrivalCounts.values.reduce(0, +)
        XCTAssertEqual(arrivedBeforeKill, 5, "relay A delivered its whole batch")

        // Replica B takes over: first the rows A never claimed, then, once A's lease has run
        // out, the 5 A delivered but never marked.
        let senderPoolB = try fixture.pool(sender)
        let relayB = OutboxRelay(pool: senderPoolB, deliverer: rpcDeliverer,
                                 configuration: relayConfiguration(batchSize: 5), clock: clock.now, name: "relay-b")
        relayB.start()
        defer { Task { await relayB.stop() } }
        try await eventually("relay B delivered what A never claimed") {
            try await senderPoolB.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == 15
        }
        clock.advance(by: .seconds(61))
        relayB.wake()
        try await eventually("everything delivered") {
            try await senderPoolB.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == 20
        }
        await relayB.stop()

        let arrivals = receiverService.arrivalCounts
        XCTAssertEqual(Set(arrivals.keys), Set(eventIDs), "every event arrived at least once")
        XCTAssertEqual(arrivals.values.reduce(0, +), 25, "A's 5 unrecorded deliveries were redelivered")
        XCTAssertEqual(arrivals.values.filter { $0 == 2 }.count, 5)

        let receiverPool = try fixture.pool(receiver)
        let effects = try await receiverPool.query("SELECT event_id, count(*) FROM effects GROUP BY event_id")
        XCTAssertEqual(effects.count, 20, "one effect per event")
        XCTAssertTrue(try effects.allSatisfy { try $0.decode(Int.self, at: 1) == 1 }, "no effect applied twice")
        let payloads = try await receiverPool.count("SELECT count(DISTINCT payload) FROM effects")
        XCTAssertEqual(payloads, 20)
        let redelivered = try await senderPoolB.count("SELECT count(*) FROM xsc_outbox WHERE attempts = 2")
        XCTAssertEqual(redelivered, 5)
    }

    func testTwoRelaysRunningTogetherDeliverEachEventOnce() async throws {
        let pool = try fixture.pool(sender)
        let eventIDs = try await placeOrders(60, pool: pool)
        let deliverer = ScriptedDeliverer(.succeed)
        let relays = try (0..<2).map { index in
            OutboxRelay(pool: try fixture.pool(sender), deliverer: deliverer,
                        configuration: relayConfiguration(batchSize: 4), clock: clock.now, name: "relay-\(index)")
        }
        relays.forEach { $0.start() }
        try await eventually("all delivered") {
            try await pool.count("SELECT count(*) FROM xsc_outbox WHERE state = 'delivered'") == 60
        }
        for relay in relays { await relay.stop() }
        let delivered = deliverer.delivered.withLock { $0 }
        XCTAssertEqual(delivered.count, 60, "no event was delivered twice while leases held")
        XCTAssertEqual(Set(delivered), Set(eventIDs))
    }

    func testFailuresBackOffThenDeadLetterAndCanBeRedriven() async throws {
        let pool = try fixture.pool(sender)
        let eventID = try await placeOrders(1, pool: pool)[0]
        let deliverer = ScriptedDeliverer(.failRetryable)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer,
                                configuration: relayConfiguration(maxAttempts: 3), clock: clock.now)

        var claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1)
        var entry = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(entry?.state, .pending)
        XCTAssertEqual(entry?.attempts, 1)
        XCTAssertEqual(entry?.lastError, "peer down (test)")
        // First retry after 10 s nominal, jittered into [5 s, 10 s].
        let wait = (entry?.nextAttemptAtMillis ?? 0) - clock.nowMillis()
        XCTAssertTrue((5_000...10_000).contains(wait), "retry in \(wait) ms")
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 0, "not due again before its backoff")

        for attempt in 2...3 {
            clock.advance(by: .seconds(3600))
            claimed = try await relay.runOnce()
            XCTAssertEqual(claimed, 1, "attempt \(attempt)")
        }
        entry = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(entry?.state, .dead)
        XCTAssertEqual(entry?.attempts, 3)
        clock.advance(by: .seconds(3600))
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 0, "dead letters are not retried")
        let dead = try await outbox.deadLetters(pool: pool)
        XCTAssertEqual(dead.map(\.eventID), [eventID])
        let counts = try await outbox.counts(pool: pool)
        XCTAssertEqual(counts[.dead], 1)

        deliverer.mode.withLock { $0 = .succeed }
        let redriven = try await outbox.redrive(pool: pool)
        XCTAssertEqual(redriven, 1)
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1)
        entry = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(entry?.state, .delivered)
        XCTAssertEqual(deliverer.delivered.withLock { $0 }, [eventID])
    }

    func testABatchIsMarkedDeliveredWhateverCharactersItsEventIDsHold() async throws {
        let pool = try fixture.pool(sender)
        // Event ids are the caller's: one statement marks the whole batch, so each must arrive intact.
        let eventIDs = ["plain-1", "with,comma", "with \"quote\" and \\ backslash", "slash/and/漢字", "{brace}"]
        let outbox = self.outbox
        for eventID in eventIDs {
            try await pool.transaction { transaction in
                try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: ReceiverService.path,
                                         payload: [], eventID: eventID)
            }
        }
        let deliverer = ScriptedDeliverer(.succeed)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: relayConfiguration(batchSize: 10),
                                clock: clock.now)
        try await relay.runOnce()
        XCTAssertEqual(Set(deliverer.delivered.withLock { $0 }), Set(eventIDs))
        for eventID in eventIDs {
            let entry = try await outbox.entry(pool: pool, eventID: eventID)
            XCTAssertEqual(entry?.state, .delivered, eventID)
        }
    }

    /// A backlog is claimed in growing batches (twice the last while they come back full, up to
    /// `maxBatchSize`), and the first short round goes back to `batchSize`.
    func testABacklogIsClaimedInGrowingBatches() async throws {
        let pool = try fixture.pool(sender)
        _ = try await placeOrders(100, pool: pool)
        var configuration = relayConfiguration(batchSize: 4)
        configuration.maxBatchSize = 32
        let deliverer = ScriptedDeliverer(.succeed)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: configuration, clock: clock.now)
        var claims: [Int] = []
        for _ in 0..<7 { claims.append(try await relay.runOnce()) }
        XCTAssertEqual(claims, [4, 8, 16, 32, 32, 8, 0])
        XCTAssertEqual(deliverer.delivered.withLock { $0 }.count, 100)
        let outbox = self.outbox
        for index in 0..<10 {
            try await pool.transaction { transaction in
                try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: ReceiverService.path,
                                         payload: [UInt8(index)])
            }
        }
        let again = try await relay.runOnce()
        XCTAssertEqual(again, 4, "after a short round the claims start small again")
    }

    /// Rows that failed while their peer was down wait out their backoff only until the peer
    /// answers again: then they are due at once (an outage's backoffs, grown to minutes, must
    /// not keep its backlog waiting once the peer is back).
    func testRowsWaitingForADownPeerAreRetriedOnceItAnswersAgain() async throws {
        let pool = try fixture.pool(sender)
        let first = try await placeOrders(1, pool: pool)[0]
        let deliverer = ScriptedDeliverer(.failRetryable)
        let relay = OutboxRelay(pool: pool, deliverer: deliverer, configuration: relayConfiguration(), clock: clock.now)
        var claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1)
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 0, "backing off (5-10 s)")

        deliverer.mode.withLock { $0 = .succeed }
        let outbox = self.outbox
        try await pool.transaction { transaction in
            try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: ReceiverService.path, payload: [9])
        }
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1, "the new row; the peer answers again")
        claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 1, "the row that waited for the peer is due at once, not after its backoff")
        let entry = try await outbox.entry(pool: pool, eventID: first)
        XCTAssertEqual(entry?.state, .delivered)
        XCTAssertEqual(entry?.attempts, 2)
    }

    func testPermanentFailuresDeadLetterAtOnce() async throws {
        let pool = try fixture.pool(sender)
        let eventID = try await placeOrders(1, pool: pool)[0]
        let relay = OutboxRelay(pool: pool, deliverer: ScriptedDeliverer(.failPermanent),
                                configuration: relayConfiguration(maxAttempts: 10), clock: clock.now)
        try await relay.runOnce()
        let entry = try await outbox.entry(pool: pool, eventID: eventID)
        XCTAssertEqual(entry?.state, .dead)
        XCTAssertEqual(entry?.attempts, 1)
    }

    func testRPCDelivererMapsStatusesAndSendsTheEventIDAsIdempotencyKey() async throws {
        var serverConfiguration = RPCServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
        serverConfiguration.handlesTerminationSignals = false
        serverConfiguration.shutdownGracePeriod = .seconds(1)
        let server = RPCServer(configuration: serverConfiguration, services: [ProbeService()])
        try server.start()
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer {
            channel.close()
            server.shutdown()
        }
        let deliverer = RPCOutboxDeliverer(channels: ["peer": channel], extraMetadata: { message in
            Metadata([("x-actor", "svc-" + message.destination)])
        })
        func message(_ method: String, destination: String = "peer") -> OutboxMessage {
            OutboxMessage(eventID: "evt-1", destination: destination, methodPath: "/test.Probe/" + method, payload: [], attempt: 1)
        }
        try await deliverer.deliver(message("Echo"))
        XCTAssertEqual(ProbeService.lastSeen.withLock { $0 }, "evt-1|svc-peer")
        do {
            try await deliverer.deliver(message("Invalid"))
            XCTFail("expected a permanent failure")
        } catch OutboxDeliveryError.permanent {}
        do {
            try await deliverer.deliver(message("Unavailable"))
            XCTFail("expected a failure")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
        }
        do {
            try await deliverer.deliver(message("Echo", destination: "nobody"))
            XCTFail("expected a failure")
        } catch OutboxDeliveryError.unknownDestination(let name) {
            XCTAssertEqual(name, "nobody")
        }
    }
}

import Synchronization

struct ProbeService: RPCServiceProvider {
    static let lastSeen = Mutex("")

    var rpcService: RPCService {
        RPCService(name: "test.Probe", methods: [
            .unary("Echo") { (request: OpaqueMessage, context: ServerContext) -> OpaqueMessage in
                let key = context.requestMetadata[IdempotencyStore.metadataKey] ?? "-"
                let actor = context.requestMetadata["x-actor"] ?? "-"
                Self.lastSeen.withLock { $0 = key + "|" + actor }
                return request
            },
            .unary("Invalid") { (_: OpaqueMessage, _) -> OpaqueMessage in
                throw RPCError(code: .invalidArgument, message: "bad payload")
            },
            .unary("Unavailable") { (_: OpaqueMessage, _) -> OpaqueMessage in
                throw RPCError(code: .unavailable, message: "try later")
            },
        ])
    }
}
