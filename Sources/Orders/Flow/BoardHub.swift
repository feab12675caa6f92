import DomainKit
import Messages
import RPC
import ServiceKit

/// The board's one poller per process (WatchBoard). Every watcher shares it: while at least one
/// watches, it reads every `interval` which orders changed since its last feed position (the
/// order feed's commit-ordered positions, `BoardStore.changes`: one round trip when nothing
/// changed), places those orders once, and hands the same changes to every watcher's mailbox;
/// each watcher then keeps what its caller may see (`BoardAudience`). With nobody watching it
/// does nothing at all, and forgets its position (the next watcher starts from a snapshot).
///
/// A watch: join (the hub's position is fixed first), then the snapshot - read after the
/// position, so it holds everything committed up to there - then the changes after it. A change
/// read before the snapshot may arrive again after it; rows are the order's state when read, so
/// a repeat only says again what is true, and a later change always follows it.
public actor BoardHub {
    let flow: OrderFlow
    let interval: Duration
    /// Events read per round at most (a burst is read in several rounds without sleeping).
    static let eventsPerRound = 500
    /// Unsent rows and violations a watcher may hold (`BoardMailbox`).
    let mailboxLimit: Int
    /// How often a watcher with nothing to send looks whether the server is shutting down.
    static let shutdownLook: Duration = .milliseconds(250)
    /// Snapshots read at once (GetBoard and every watch's first message). When many pages
    /// (re)connect together - after a restart, every open page does - the rest wait their turn
    /// here rather than in the database pool's queue, where past its admission wait they would
    /// be refused (UNAVAILABLE) and come back again.
    static let snapshotsAtOnce = 4

    /// Rounds that fail one after another before the watchers are told (UNAVAILABLE): a
    /// database that blinks costs a few rounds' latency, one that is down ends the watches.
    static let failuresTolerated = 10

    private var watchers: [UInt64: BoardMailbox] = [:]
    private var lastWatcherID: UInt64 = 0
    private var position: Int64?
    /// The catalog version of the last round: when it moves, every watcher is sent a fresh
    /// snapshot (a renamed person or a new routing shows on rows no event touched).
    private var catalogVersion: Int64?
    private var starting: Task<Int64, Error>?
    private var poller: Task<Void, Never>?
    /// Bumped whenever the poller stops, so a round still in flight from before knows it is stale.
    private var generation: UInt64 = 0
    private var snapshotsRunning = 0
    private var snapshotQueue: [CheckedContinuation<Void, Never>] = []

    /// On /metrics (when given a registry): watchers now, rounds read, watches ended by the hub.
    private let watchersGauge: Gauge?
    private let roundsCounter: Counter?
    private let dropped: MetricFamily<Counter>?

    public init(flow: OrderFlow, interval: Duration = .milliseconds(100), mailboxLimit: Int = 10_000,
                metrics: MetricsRegistry? = nil) {
        self.flow = flow
        self.interval = interval
        self.mailboxLimit = mailboxLimit
        watchersGauge = metrics?.gauge("xsc_board_watchers", help: "WatchBoard streams open on this process.").labels()
        roundsCounter = metrics?.counter("xsc_board_rounds_total",
                                         help: "Rounds of the board's one shared poller (one per interval while anyone watches).")
            .labels()
        dropped = metrics?.counter("xsc_board_watches_dropped_total",
                                   help: "Watches the board ended: too slow to keep up, or the database unreadable.",
                                   labels: ["reason"])
    }

    /// Whether the poller runs (someone watches).
    public var isPolling: Bool { poller != nil }

    /// How many watch at this moment.
    public var watcherCount: Int { watchers.count }

    /// WatchBoard: the snapshot, then the changes as they commit, until the caller cancels, the
    /// watch is dropped (RESOURCE_EXHAUSTED, UNAVAILABLE), or `checkStop` throws (the server
    /// shutting down).
    public nonisolated func watch(_ request: Xsc_Orders_V1_BoardRequest, actor: VerifiedActor, checkStop: () throws -> Void,
                                  send: (Xsc_Orders_V1_BoardUpdate) async throws -> Void) async throws {
        let audience = try flow.boardAudience(request, actor: actor)
        let mailbox = BoardMailbox(limit: mailboxLimit)
        let id = try await join(mailbox)
        do {
            try await serve(audience, mailbox: mailbox, checkStop: checkStop, send: send)
        } catch {
            await leave(id, mailbox)
            throw error
        }
        await leave(id, mailbox)
    }

    /// GetBoard: the caller's board now, read in its turn among the snapshots.
    public nonisolated func board(_ request: Xsc_Orders_V1_BoardRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_BoardUpdate {
        try await snapshot(try flow.boardAudience(request, actor: actor))
    }

    private nonisolated func snapshot(_ audience: BoardAudience) async throws -> Xsc_Orders_V1_BoardUpdate {
        await enterSnapshot()
        do {
            try Task.checkCancellation()  // gone while waiting: the turn passes on at once
            let snapshot = try await flow.boardSnapshot(audience)
            await leaveSnapshot()
            return snapshot
        } catch {
            await leaveSnapshot()
            throw error
        }
    }

    /// Waits for one of `snapshotsAtOnce` turns (first come, first served). A caller that goes
    /// away meanwhile still takes its turn when it comes, finds itself cancelled and gives it back.
    private func enterSnapshot() async {
        if snapshotsRunning < Self.snapshotsAtOnce {
            snapshotsRunning += 1
            return
        }
        await withCheckedContinuation { snapshotQueue.append($0) }  // the leaver hands its turn over
    }

    private func leaveSnapshot() {
        if snapshotQueue.isEmpty {
            snapshotsRunning -= 1
        } else {
            snapshotQueue.removeFirst().resume()
        }
    }

    private nonisolated func serve(_ audience: BoardAudience, mailbox: BoardMailbox, checkStop: () throws -> Void,
                                   send: (Xsc_Orders_V1_BoardUpdate) async throws -> Void) async throws {
        var snapshot = try await snapshot(audience)
        var shown = Set(snapshot.rows.map(\.orderId))
        // "Today's violations" end at the organisation's midnight, which no event marks: the
        // first look after it sends a fresh snapshot (the page replaces what it shows).
        var dayEnds = flow.calendar.day(containing: snapshot.serverTimeMs).endMillis
        try await send(snapshot)
        let look = Self.shutdownLook
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: look)
                mailbox.tick()
            }
        }
        defer { ticker.cancel() }
        // The bell ends when this task is cancelled (the caller went away): the watch is over.
        for await _ in mailbox.bell {
            try checkStop()
            let pending: BoardMailbox.Pending
            do {
                pending = try mailbox.take()
            } catch let error as RPCError {
                dropped?.labels(error.code == .resourceExhausted ? "slow" : "unreadable").increment()
                throw error
            }
            if pending.renew || flow.clock() >= dayEnds {
                // What was pending was read before the snapshot below, which holds it.
                snapshot = try await self.snapshot(audience)
                shown = Set(snapshot.rows.map(\.orderId))
                dayEnds = flow.calendar.day(containing: snapshot.serverTimeMs).endMillis
                try await send(snapshot)
                continue
            }
            guard !pending.isEmpty else { continue }
            var update = audience.changes(pending.entries, pending.violations, shown: &shown)
            guard !update.rows.isEmpty || !update.violations.isEmpty else { continue }
            update.serverTimeMs = pending.serverTimeMillis
            try await send(update)
        }
    }

    private func join(_ mailbox: BoardMailbox) async throws -> UInt64 {
        if position == nil {
            // Watchers arriving together wait for the same read of the position.
            let start = starting ?? Task { [flow] in try await BoardStore().currentPosition(pool: flow.pool) }
            starting = start
            let found: Int64
            do {
                found = try await start.value
            } catch {
                if starting == start { starting = nil }
                throw error
            }
            if starting == start { starting = nil }
            if position == nil { position = found }
        }
        lastWatcherID += 1
        watchers[lastWatcherID] = mailbox
        watchersGauge?.set(Double(watchers.count))
        if poller == nil {
            let generation = self.generation
            poller = Task { await self.poll(generation) }
        }
        return lastWatcherID
    }

    private func leave(_ id: UInt64, _ mailbox: BoardMailbox) {
        mailbox.close()
        watchers[id] = nil
        watchersGauge?.set(Double(watchers.count))
        guard watchers.isEmpty else { return }
        generation += 1
        poller?.cancel()
        poller = nil
        position = nil
        catalogVersion = nil
    }

    private func poll(_ generation: UInt64) async {
        var failures = 0
        while generation == self.generation, !Task.isCancelled, let after = position {
            var more = false
            do {
                let changed = try await BoardStore().changes(after: after, limit: Self.eventsPerRound, pool: flow.pool)
                let batch = changed.orderIDs.isEmpty ? nil : try await flow.boardChanges(of: changed.orderIDs)
                guard generation == self.generation else { return }
                roundsCounter?.increment()
                position = changed.position
                if let batch {
                    let now = flow.clock()
                    for mailbox in watchers.values { mailbox.offer(batch.entries, batch.violations, serverTime: now) }
                }
                if let seen = catalogVersion, seen != changed.catalogVersion {
                    for mailbox in watchers.values { mailbox.renew() }
                }
                catalogVersion = changed.catalogVersion
                more = changed.more
                failures = 0
            } catch {
                guard generation == self.generation, !Task.isCancelled else { return }
                failures += 1
                if failures >= Self.failuresTolerated {
                    // The position stays: nothing is skipped for a watcher that joins afterwards.
                    let failure = RPCError(code: .unavailable, message: "the board's changes cannot be read now; watch again")
                    for mailbox in watchers.values { mailbox.fail(failure) }
                    failures = 0
                }
            }
            if !more { try? await Task.sleep(for: interval) }
        }
    }
}
