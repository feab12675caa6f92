import Foundation
import Postgres
import ServiceKit
import Synchronization

/// Delivers the outbox. Each round claims up to `batchSize` due rows with
/// `FOR UPDATE SKIP LOCKED` (so any number of relays, one per replica, share the work without
/// waiting on each other), leasing them by setting `leased_until` to now + `lease` in the same
/// statement (a column no index holds, so the claim is a HOT update); then delivers them
/// concurrently with no transaction open, and records every outcome in one round trip. A relay that dies after delivering but before recording leaves
/// rows that fall due again when the lease ends: delivery is at least once, and receivers
/// dedupe with `ProcessedEvents`.
///
/// With `handOff` the common case skips all of that: a row committed
/// by this process reaches the relay in process (`Outbox.enqueueStatement`'s commit note), is
/// delivered at once (a batch per peer) and marked delivered in one statement per batch - no
/// claim, no wait for the poll. Such a row is leased to this process from its creation for
/// `lease`: the poll (of any replica) leaves rows that were never attempted alone until then,
/// and the relay delivers a handed-over row only while at most half the lease has passed
/// (delivery calls time out well within the other half). So a crash before delivery loses
/// nothing (the poll delivers the row after the lease) and two relays never deliver it
/// side by side while the lease holds.
public final class OutboxRelay: BackgroundWorker {
    public struct Configuration: Sendable {
        public var batchSize = 16
        /// While rounds come back full (a backlog: after an outage, or intake faster than one
        /// round of `batchSize` per round trip), each claim takes twice the last, up to this;
        /// the first round that is not full goes back to `batchSize`. A backlog then drains at
        /// the receivers' pace instead of a claim, a delivery wait and a record per 16 rows
        /// (measured: 6,376 rows left at the end of a 10,000-order load, drained at 126 rows/s).
        /// Kept below a receiver's database pool plus its waiters (10 + 64 by default), so a
        /// batch's calls are not refused there as a queue overflow.
        public var maxBatchSize = 64
        /// How long a claimed row is reserved for this relay: longer than a delivery can take.
        public var lease: Duration = .seconds(60)
        public var pollInterval: Duration = .seconds(1)
        public var retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(600), maxAttempts: 20)
        public var stopGracePeriod: Duration = .seconds(5)
        public var reportError: WorkerErrorReporter = WorkerErrorReporting.standardError
        /// Deliver rows committed through `pool` in this process at once (see above). Off by
        /// default, and no service turns it on yet: measured slower in bench/orders.sh
        /// (bench/README.md, "Issue 15"). Every
        /// relay of a service's replicas must agree on it: one without it claims fresh rows at
        /// once and may deliver them beside the handing-over relay (receivers dedupe, so that
        /// costs a repeat, not a wrong effect; during a rolling deploy only).
        public var handOff = false
        /// Where the hand-over delivery task runs (the peers' channels' loop, so that a batch's
        /// calls and the marking round trip need no thread hop); nil: the global executor.
        public var handOffExecutor: (any TaskExecutor)?
        /// Where the poll's rounds run (claim, deliveries, record): the peers' channels' loop
        /// (`forService`), so a round's calls start without a thread hop and its database round
        /// trips are exchanged on that loop instead of by a connection's worker thread (a
        /// futex wake-up and a thread switch each way, ~4% of a busy xsc-orders' CPU on the
        /// global executor); nil: the global executor.
        public var pollExecutor: (any TaskExecutor)?
        /// The most rows one hand-over batch delivers.
        public var handOffBatchLimit = 256
        /// After a batch smaller than the limit, the hand-over waits this long before taking
        /// the next, so that a busy service's rows go out (and are marked) a few dozen at a
        /// time: one marking statement for each batch, like the claim and mark of the poll did
        /// for 16. Without it the task woke for every commit, and the marking UPDATEs of batches
        /// of one or two rows cost PostgreSQL more than the claims they replaced.
        public var handOffPause: Duration = .milliseconds(10)
        public init() {}
    }

    public let name: String
    private let pool: PostgresPool
    private let deliverer: any OutboxDeliverer
    private let configuration: Configuration
    private let clock: WallClock
    private let loop: PollingLoop
    private let handoff = OutboxHandoff()
    private let handOffTask = Mutex<Task<Void, Never>?>(nil)
    /// The next claim's size (see `maxBatchSize`).
    private let claimSize: Mutex<Int>
    /// Destinations whose every delivery in a round failed, retryably: a peer (or its database)
    /// down. Rows to them wait out backoffs that grow through the outage (up to `retry.maxDelay`,
    /// 10 minutes); when such a peer answers again its waiting rows are made due at once, so the
    /// backlog of a long outage drains at the normal pace instead of at the backoffs' pace.
    private let downDestinations = Mutex<Set<String>>([])

    public init(pool: PostgresPool, deliverer: any OutboxDeliverer, configuration: Configuration = Configuration(),
                clock: @escaping WallClock = SystemWallClock.now, name: String = "outbox-relay") {
        self.name = name
        self.pool = pool
        self.deliverer = deliverer
        self.configuration = configuration
        self.clock = clock
        self.claimSize = Mutex(max(1, configuration.batchSize))
        self.loop = PollingLoop(name: name, interval: configuration.pollInterval,
                                stopGracePeriod: configuration.stopGracePeriod,
                                reportError: configuration.reportError)
    }

    public func start() {
        let batchSize = configuration.batchSize
        if configuration.handOff { startHandOff() }
        loop.start(on: configuration.pollExecutor) { [weak self] in
            guard let self else { return false }
            return try await self.runOnce() >= batchSize
        }
    }

    public func stop() async {
        if configuration.handOff {
            pool.observeCommits(nil)
            handoff.stop()
        }
        if let task = handOffTask.withLock({ $0 }) {
            let grace = configuration.stopGracePeriod
            let enforcer = Task {
                try? await Task.sleep(for: grace)
                if !Task.isCancelled { task.cancel() }
            }
            await task.value
            enforcer.cancel()
        }
        await loop.stop()
    }
    /// Call after committing new outbox rows, to deliver without waiting for the poll.
    public func wake() { loop.wake() }

    /// One round: claim, deliver, record. Returns how many rows it claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let size = claimSize.withLock { $0 }
        let claimed: (messages: [OutboxMessage], leaseToken: Int64)
        do {
            claimed = try await claim(limit: size)
        } catch {
            claimSize.withLock { $0 = max(1, configuration.batchSize) }
            throw error
        }
        claimSize.withLock {
            $0 = claimed.messages.count >= size ? min(max(size, configuration.maxBatchSize), size * 2)
                                                : max(1, configuration.batchSize)
        }
        guard !claimed.messages.isEmpty else { return 0 }
        let outcomes = await deliverAll(claimed.messages)
        try Task.checkCancellation() // stopped mid-delivery: record nothing, the lease expires
        try await record(outcomes, leaseToken: claimed.leaseToken)
        try await retryWaitingRows(ofRecoveredIn: claimed.messages, outcomes)
        return claimed.messages.count
    }

    /// Notes the destinations that were down this round, and makes the waiting rows of those
    /// that answered again due now (rows leased to another relay are left alone).
    private func retryWaitingRows(ofRecoveredIn messages: [OutboxMessage], _ outcomes: [Outcome]) async throws {
        var succeeded = Set<String>()
        var failed = Set<String>()
        for (message, outcome) in zip(messages, outcomes) {
            switch outcome {
            case .delivered: succeeded.insert(message.destination)
            case .failed(_, _, _, let permanent): if !permanent { failed.insert(message.destination) }
            }
        }
        let recovered = downDestinations.withLock { down -> [String] in
            down.formUnion(failed.subtracting(succeeded))
            let back = down.intersection(succeeded)
            down.subtract(back)
            return back.sorted()
        }
        for destination in recovered {
            let now = clock()
            try await pool.execute("""
                UPDATE xsc_outbox SET next_attempt_at = $2
                WHERE state = 'pending' AND destination = $1 AND attempts > 0 AND next_attempt_at > $2 AND lease_token IS NULL
                """, [.text(destination), .timestampMillis(now)])
        }
    }

    private func claim(limit: Int) async throws -> (messages: [OutboxMessage], leaseToken: Int64) {
        let now = clock()
        let leaseToken = Int64.random(in: 1...Int64.max)
        var parameters: [PostgresValue] = [.timestampMillis(now), .timestampMillis(now + configuration.lease.milliseconds),
                                           .int64(leaseToken), .int(limit)]
        let rows: PostgresRows
        if configuration.handOff {
            // A row never attempted belongs to the relay of the process that wrote it (the
            // hand-over) until the lease has passed since its creation.
            parameters.append(.timestampMillis(now - configuration.lease.milliseconds))
            rows = try await pool.query("""
                UPDATE xsc_outbox SET attempts = attempts + 1, leased_until = $2, lease_token = $3
                WHERE id IN (
                    SELECT id FROM xsc_outbox WHERE state = 'pending' AND next_attempt_at <= $1
                        AND (leased_until IS NULL OR leased_until <= $1)
                        AND (attempts > 0 OR created_at <= $5)
                    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING id, event_id, destination, method_path, payload, attempts, traceparent
                """, parameters)
        } else {
            rows = try await pool.query("""
                UPDATE xsc_outbox SET attempts = attempts + 1, leased_until = $2, lease_token = $3
                WHERE id IN (
                    SELECT id FROM xsc_outbox WHERE state = 'pending' AND next_attempt_at <= $1
                        AND (leased_until IS NULL OR leased_until <= $1)
                    ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING id, event_id, destination, method_path, payload, attempts, traceparent
                """, parameters)
        }
        let messages = try rows
            .map { row in
                (try row.decode(Int64.self, at: 0),
                 OutboxMessage(eventID: try row.decode(String.self, at: 1), destination: try row.decode(String.self, at: 2),
                               methodPath: try row.decode(String.self, at: 3), payload: try row.decode([UInt8].self, at: 4),
                               attempt: try row.decode(Int.self, at: 5), traceparent: try row.decode(String?.self, at: 6)))
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
        let errors = await deliverer.deliver(batch: messages)
        return zip(messages, errors).map { message, error in
            guard let error else { return .delivered(eventID: message.eventID) }
            var permanent = false
            if case OutboxDeliveryError.permanent = error { permanent = true }
            return .failed(eventID: message.eventID, attempt: message.attempt,
                           error: String(String(describing: error).prefix(1000)), permanent: permanent)
        }
    }

    // MARK: - Hand-over

    private func startHandOff() {
        let handoff = self.handoff
        pool.observeCommits { notes in handoff.accept(notes) }
        let body: @Sendable () async -> Void = { [weak self] in
            while let rows = await handoff.next() {
                guard let self else { return }
                await self.deliverHandedOver(rows)
                let pause = self.configuration.handOffPause
                if rows.count < self.configuration.handOffBatchLimit, pause > .zero {
                    try? await Task.sleep(for: pause)
                }
            }
        }
        let task: Task<Void, Never>
        if let executor = configuration.handOffExecutor {
            task = Task(executorPreference: executor, operation: body)
        } else {
            task = Task(operation: body)
        }
        handOffTask.withLock { $0 = task }
    }

    /// Delivers rows handed over in process and records the outcomes; rows past half their
    /// in-process lease are left to the poll.
    private func deliverHandedOver(_ rows: [FreshOutboxRow]) async {
        let now = clock()
        let halfLease = configuration.lease.milliseconds / 2
        let fresh = rows.filter { now - $0.createdAtMillis < halfLease }
        var start = 0
        while start < fresh.count {
            let batch = Array(fresh[start..<min(fresh.count, start + configuration.handOffBatchLimit)])
            start += batch.count
            let outcomes = await deliverAll(batch.map(\.message))
            if Task.isCancelled { return } // stopped mid-delivery: the rows stay pending for the poll
            do {
                try await recordHandedOver(outcomes)
            } catch {
                configuration.reportError(name, error)
            }
        }
    }

    /// One round trip for a hand-over batch. A delivered row is marked whoever holds it now
    /// (a success is a success); a failure is recorded only while the row is still the
    /// hand-over's (never attempted): past the lease, a poll may have taken it over.
    private func recordHandedOver(_ outcomes: [Outcome]) async throws {
        let now = clock()
        let (delivered, failures) = split(outcomes, now: now)
        var statements = failures.map { failure in
            PostgresStatement("""
                UPDATE xsc_outbox SET state = CASE WHEN $4 THEN 'dead' ELSE 'pending' END,
                    attempts = 1, next_attempt_at = $2, last_error = $3
                WHERE event_id = $1 AND attempts = 0 AND state = 'pending'
                """, [.text(failure.eventID), .timestampMillis(failure.retryAt), .text(failure.error), .bool(failure.dead)])
        }
        if !delivered.isEmpty {
            // The same probe per id as `record`'s mark (see there for why not `state = 'pending'`).
            statements.append(PostgresStatement("""
                UPDATE xsc_outbox SET state = 'delivered', delivered_at = $2, attempts = attempts + 1,
                    lease_token = NULL, last_error = NULL
                WHERE event_id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND state NOT IN ('delivered', 'dead')
                """, [.text(Self.jsonArray(delivered)), .timestampMillis(now)]))
        }
        // One implicit transaction, on a connection held for this round trip only.
        try await pool.run(statements, continuing: true)
    }

    private func record(_ outcomes: [Outcome], leaseToken: Int64) async throws {
        let now = clock()
        let (delivered, failures) = split(outcomes, now: now)
        // A failure only while our lease holds: a relay that took over after it ran out owns the row now.
        var statements = failures.map { failure in
            PostgresStatement("""
                UPDATE xsc_outbox SET state = CASE WHEN $5 THEN 'dead' ELSE 'pending' END,
                    next_attempt_at = $3, last_error = $4, lease_token = NULL, leased_until = NULL
                WHERE event_id = $1 AND lease_token = $2 AND state = 'pending'
                """, [.text(failure.eventID), .int64(leaseToken), .timestampMillis(failure.retryAt),
                      .text(failure.error), .bool(failure.dead)])
        }
        if !delivered.isEmpty {
            // One statement for the whole batch (each statement costs the server a bind and an
            // executor start). Whoever delivered first marks it; no lease check, a success is a
            // success. The ids travel as a JSON array, which quotes any character an id may hold.
            // A probe of the event_id index per id, whatever the statistics say: with `state =
            // 'pending'` the planner may walk the whole partial index xsc_outbox_due instead
            // (when the last ANALYZE saw few pending rows), through every entry of rows marked
            // since the last vacuum - measured at ~4,400 pages a mark (bench/README.md, "Issue 15
            // (session 6)"). `NOT IN ('delivered', 'dead')` is the same rows (the CHECK allows
            // three states) but does not imply that index's predicate, so it cannot be chosen.
            statements.append(PostgresStatement("""
                UPDATE xsc_outbox SET state = 'delivered', delivered_at = $2, lease_token = NULL, last_error = NULL
                WHERE event_id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) AND state NOT IN ('delivered', 'dead')
                """, [.text(Self.jsonArray(delivered)), .timestampMillis(now)]))
        }
        try await pool.transaction(batch: statements)
    }

    private struct Failure {
        var eventID: String
        var retryAt: Int64
        var error: String
        /// Dead-lettered: a permanent error, or the last attempt the retry policy allows.
        var dead: Bool
    }

    /// The delivered ids and, for each failure, when to retry it or whether it is dead: the one
    /// reading of the retry policy both ways of recording (polled and handed over) share.
    private func split(_ outcomes: [Outcome], now: Int64) -> (delivered: [String], failures: [Failure]) {
        var delivered: [String] = []
        var failures: [Failure] = []
        for outcome in outcomes {
            switch outcome {
            case .delivered(let eventID):
                delivered.append(eventID)
            case .failed(let eventID, let attempt, let error, let permanent):
                failures.append(Failure(eventID: eventID,
                                        retryAt: now + configuration.retry.delay(afterAttempt: attempt).milliseconds,
                                        error: error, dead: permanent || attempt >= configuration.retry.maxAttempts))
            }
        }
        return (delivered, failures)
    }

    /// `strings` as a JSON array of strings (RFC 8259: `"` and `\` escaped, control
    /// characters as \u00XX, everything else as its UTF-8). Written by hand: Foundation's
    /// JSONSerialization cost ~3% of xsc-orders' CPU here (it boxes every element).
    static func jsonArray(_ strings: [String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(strings.reduce(2) { $0 + $1.utf8.count + 3 })
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            var text = string
            let plain = text.withUTF8 { utf8 in
                // Event ids need no escape: copied whole.
                guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                    return false
                }
                out.append(contentsOf: utf8)
                return true
            }
            if plain {
                out.append(UInt8(ascii: "\""))
                continue
            }
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    out.append(UInt8(ascii: "\\"))
                    out.append(byte)
                case 0..<0x20:
                    out += Array("\\u00".utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                default:
                    out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}
