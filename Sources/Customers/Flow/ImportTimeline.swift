import ServiceKit
import Synchronization

/// Where the time of one import stream goes, logged once when the stream ends ("import
/// finished", at info) and read by `bench/customers.sh --import-phases`: the import's pipeline
/// keeps two batches at the database while it reads and prepares the next, and whether
/// PostgreSQL waits for it (and on what) cannot be seen from outside (bench/README.md,
/// "Customers benchmark", session 9). A few clock readings per batch of 1,000 rows.
///
/// Phases are summed over batches, which overlap, so their sum exceeds the stream's wall time.
/// `databaseIdle` is wall time, though: the part of the stream (from its first round trip to
/// its last) during which none of its round trips was at the database, i.e. PostgreSQL had
/// nothing of this import to do.
final class ImportTimeline: Sendable {
    enum Phase: Int, CaseIterable {
        /// The handler waiting for (and decoding) the client's rows of a batch.
        case read
        /// The handler waiting in `ImportPipeline.submit` for the oldest batch to be written.
        case held
        /// Validation and ids of a batch (`prepareImport`).
        case prepare
        /// A prepared batch waiting for an earlier batch's write (at most `depth` write at once).
        case turn
        /// Waiting for a pool connection.
        case connection
        /// BEGIN, the staging table and the COPY of the batch (three round trips).
        case copy
        /// The set-based statements reading the staging table (one round trip).
        case statements
        /// What the statements found asked for (rows that lost a phone, referrals, look-alikes)
        /// and COMMIT.
        case finish
        /// Rows answered by the single-row path.
        case single

        var name: String {
            switch self {
            case .read: "read"
            case .held: "held"
            case .prepare: "prepare"
            case .turn: "turn"
            case .connection: "connection"
            case .copy: "copy"
            case .statements: "statements"
            case .finish: "finish"
            case .single: "single"
            }
        }
    }

    private struct State {
        var totals = [Duration](repeating: .zero, count: Phase.allCases.count)
        var atDatabase = 0
        var firstAtDatabase: ContinuousClock.Instant?
        var lastAway: ContinuousClock.Instant?
        var idle = Duration.zero
        var idleGaps = 0
        var batches = 0
        var singleRows = 0
    }

    private let state = Mutex(State())
    let started = ContinuousClock.now

    /// Adds the time since `start` to `phase`; returns now (the next phase's start).
    @discardableResult
    func add(_ phase: Phase, since start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        state.withLock { $0.totals[phase.rawValue] += now - start }
        return now
    }

    func count(batches: Int = 0, singleRows: Int = 0) {
        state.withLock {
            $0.batches += batches
            $0.singleRows += singleRows
        }
    }

    /// Runs `work` (round trips to the database) as time the database has something of this
    /// import, then adds its duration to `phase`.
    func atDatabase<T>(_ phase: Phase, _ work: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        state.withLock { state in
            if state.atDatabase == 0 {
                if state.firstAtDatabase == nil {
                    state.firstAtDatabase = start
                } else if let away = state.lastAway {
                    state.idle += start - away
                    state.idleGaps += 1
                }
            }
            state.atDatabase += 1
        }
        defer {
            let end = ContinuousClock.now
            state.withLock { state in
                state.atDatabase -= 1
                if state.atDatabase == 0 { state.lastAway = end }
                state.totals[phase.rawValue] += end - start
            }
        }
        return try await work()
    }

    /// The log line's fields: milliseconds per phase, the database's idle time and gaps.
    func fields(rows: Int) -> [(String, LogValue)] {
        let wall = ContinuousClock.now - started
        return state.withLock { state in
            var fields: [(String, LogValue)] = [("rows", .int(Int64(rows))), ("batches", .int(Int64(state.batches))),
                                                ("single_rows", .int(Int64(state.singleRows))), ("wall_ms", .double(Self.ms(wall)))]
            let span = state.firstAtDatabase.flatMap { first in state.lastAway.map { $0 - first } } ?? .zero
            fields.append(("database_span_ms", .double(Self.ms(span))))
            fields.append(("database_idle_ms", .double(Self.ms(state.idle))))
            fields.append(("database_idle_gaps", .int(Int64(state.idleGaps))))
            for phase in Phase.allCases { fields.append((phase.name + "_ms", .double(Self.ms(state.totals[phase.rawValue])))) }
            return fields
        }
    }

    private static func ms(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1_000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }
}
