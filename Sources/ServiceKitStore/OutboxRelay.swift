import Foundation
import Postgres
import ServiceKit

/// Delivers the outbox. Each round claims up to `batchSize` due rows with
/// `FOR UPDATE SKIP LOCKED` (so any number of relays, one per replica, share the work without
/// waiting on each other), leasing them by pushing `next_attempt_at` out by `lease` in the same
/// statement; then delivers them concurrently with no transaction open, and records every
/// outcome in one round trip. A relay that dies after delivering but before recording leaves
/// rows that fall due again when the lease ends: delivery is at least once, and receivers
/// dedupe with `ProcessedEvents`.
public final class OutboxRelay: BackgroundWorker {
    public struct Configuration: Sendable {
        public var batchSize = 16
        /// How long a claimed row is reserved for this relay: longer than a delivery can take.
        public var lease: Duration = .seconds(60)
        public var pollInterval: Duration = .seconds(1)
        public var retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 20)
        public var stopGracePeriod: Duration = .seconds(5)
        public var reportError: WorkerErrorReporter = WorkerErrorReporting.standardError
        public init() {}
    }

    public let name: String
    private let pool: PostgresPool
    private let deliverer: any OutboxDeliverer
    private let configuration: Configuration
    private let clock: WallClock
    private let loop: PollingLoop

    public init(pool: PostgresPool, deliverer: any OutboxDeliverer, configuration: Configuration = Configuration(),
                clock: @escaping WallClock = SystemWallClock.now, name: String = "outbox-relay") {
        self.name = name
        self.pool = pool
        self.deliverer = deliverer
        self.configuration = configuration
        self.clock = clock
        self.loop = PollingLoop(name: name, interval: configuration.pollInterval,
                                stopGracePeriod: configuration.stopGracePeriod,
                                reportError: configuration.reportError)
    }

    public func start() {
        let batchSize = configuration.batchSize
        loop.start { [weak self] in
            guard let self else { return false }
            return try await self.runOnce() >= batchSize
        }
    }
    public func stop() async { await loop.stop() }
    /// Call after committing new outbox rows, to deliver without waiting for the poll.
    public func wake() { loop.wake() }

    /// One round: claim, deliver, record. Returns how many rows it claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimed = try await claim()
        guard !claimed.messages.isEmpty else { return 0 }
        let outcomes = await deliverAll(claimed.messages)
        try Task.checkCancellation() // stopped mid-delivery: record nothing, the lease expires
        try await record(outcomes, leaseToken: claimed.leaseToken)
        return claimed.messages.count
    }

    private func claim() async throws -> (messages: [OutboxMessage], leaseToken: Int64) {
        let now = clock()
        let leaseToken = Int64.random(in: 1...Int64.max)
        let rows = try await pool.query("""
            UPDATE xsc_outbox SET attempts = attempts + 1, next_attempt_at = $2, lease_token = $3
            WHERE id IN (
                SELECT id FROM xsc_outbox WHERE state = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING id, event_id, destination, method_path, payload, attempts
            """, [.timestampMillis(now), .timestampMillis(now + configuration.lease.milliseconds),
                  .int64(leaseToken), .int(configuration.batchSize)])
        let messages = try rows
            .map { row in
                (try row.decode(Int64.self, at: 0),
                 OutboxMessage(eventID: try row.decode(String.self, at: 1), destination: try row.decode(String.self, at: 2),
                               methodPath: try row.decode(String.self, at: 3), payload: try row.decode([UInt8].self, at: 4),
                               attempt: try row.decode(Int.self, at: 5)))
            }
            .sorted { $0.0 < $1.0 }
            .map(\.1)
        return (messages, leaseToken)
    }

    private enum Outcome: Sendable {
        case delivered(eventID: String)
        case failed(eventID: String, attempt: Int, error: String, permanent: Bool)
    }

    private func deliverAll(_ messages: [OutboxMessage]) async -> [Outcome] {
        let deliverer = self.deliverer
        return await withTaskGroup(of: Outcome.self) { group in
            for message in messages {
                group.addTask {
                    do {
                        try await deliverer.deliver(message)
                        return .delivered(eventID: message.eventID)
                    } catch {
                        var permanent = false
                        if case OutboxDeliveryError.permanent = error { permanent = true }
                        return .failed(eventID: message.eventID, attempt: message.attempt,
                                       error: String(String(describing: error).prefix(1000)), permanent: permanent)
                    }
                }
            }
            var outcomes: [Outcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

    private func record(_ outcomes: [Outcome], leaseToken: Int64) async throws {
        let now = clock()
        var delivered: [String] = []
        var statements: [PostgresStatement] = []
        for outcome in outcomes {
            switch outcome {
            case .delivered(let eventID):
                delivered.append(eventID)
            case .failed(let eventID, let attempt, let error, let permanent):
                let dead = permanent || attempt >= configuration.retry.maxAttempts
                let retryAt = now + configuration.retry.delay(afterAttempt: attempt).milliseconds
                // Only while our lease holds: a relay that took over after it ran out owns the row now.
                statements.append(PostgresStatement("""
                    UPDATE xsc_outbox SET state = CASE WHEN $5 THEN 'dead' ELSE 'pending' END,
                        next_attempt_at = $3, last_error = $4, lease_token = NULL
                    WHERE event_id = $1 AND lease_token = $2 AND state = 'pending'
                    """, [.text(eventID), .int64(leaseToken), .timestampMillis(retryAt), .text(error), .bool(dead)]))
            }
        }
        if !delivered.isEmpty {
            // One statement for the whole batch (each statement costs the server a bind and an
            // executor start). Whoever delivered first marks it; no lease check, a success is a
            // success. The ids travel as a JSON array, which quotes any character an id may hold.
            statements.append(PostgresStatement("""
                UPDATE xsc_outbox SET state = 'delivered', delivered_at = $2, lease_token = NULL, last_error = NULL
                WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND state = 'pending'
                """, [.text(Self.jsonArray(delivered)), .timestampMillis(now)]))
        }
        try await pool.transaction(batch: statements)
    }

    static func jsonArray(_ strings: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: strings)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
