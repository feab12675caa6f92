import Synchronization
import Postgres

/// An outbox row as its enqueue statement wrote it: the note that statement carries
/// (`PostgresStatement.commitNote`), handed to the relay once its transaction committed.
struct FreshOutboxRow: Sendable {
    var message: OutboxMessage
    var createdAtMillis: Int64
}

/// Freshly committed outbox rows on their way from the committing thread (a handler's event
/// loop, a worker's connection thread) to the relay's delivery task: the committing side only
/// appends and, when the task sleeps, resumes it; the task takes everything queued at once, so
/// rows committed while it delivers go out together in its next batch.
///
/// Bounded: past `capacity` queued rows new ones are not queued (a peer that stopped
/// answering must not grow the process). They lose nothing: every row is in the table, and
/// the relay's poll delivers it once its in-process lease (the claim lease, counted from its
/// creation) has run out.
final class OutboxHandoff: Sendable {
    private struct State {
        var queue: [FreshOutboxRow] = []
        var waiter: CheckedContinuation<[FreshOutboxRow]?, Never>?
        var stopped = false
        var dropped = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The commit observer's side: any thread, never waits.
    func accept(_ notes: [any Sendable]) {
        var rows: [FreshOutboxRow] = []
        // A fused statement (`StatementFusion`) carries its parts' notes as one list.
        for note in CommitNoteList.flattened(notes) { if let row = note as? FreshOutboxRow { rows.append(row) } }
        guard !rows.isEmpty else { return }
        let wake = state.withLock { state -> (CheckedContinuation<[FreshOutboxRow]?, Never>, [FreshOutboxRow])? in
            guard !state.stopped else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, rows)
            }
            let room = max(0, capacity - state.queue.count)
            state.queue += rows.prefix(room)
            state.dropped += rows.count - min(room, rows.count)
            return nil
        }
        if let (waiter, rows) = wake { waiter.resume(returning: rows) }
    }

    /// Everything queued, waiting for the next commit when nothing is; nil once stopped.
    func next() async -> [FreshOutboxRow]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[FreshOutboxRow]?, Never>) in
            let ready = state.withLock { state -> [FreshOutboxRow]?? in
                if state.stopped { return .some(nil) }
                if !state.queue.isEmpty {
                    defer { state.queue = [] }
                    return .some(state.queue)
                }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Rows not queued because the queue was full (left to the poll).
    var droppedCount: Int { state.withLock { $0.dropped } }

    /// Ends `next` (now, or when it is next called); rows still queued stay for the poll.
    func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<[FreshOutboxRow]?, Never>? in
            state.stopped = true
            state.queue = []
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }
}
