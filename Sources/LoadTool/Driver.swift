import Histogram
import NetIO
import RPC
import Synchronization

/// Runs a workload for warm-up + duration and measures the operations that start inside the
/// measured window.
///
/// - closed loop: `concurrency` callers, each starting its next operation when the last one
///   answered; latency is from its start.
/// - open loop: operations are due at a fixed `rate` (operation i at start + i / rate) whatever
///   the answers do; up to `maxInFlight` callers take the next due operation, wait for its time
///   and send it. Latency is measured from the time it was due, not the time it was sent, so a
///   server that falls behind shows its queue in the latency (coordinated omission corrected:
///   a stalled server cannot hide the requests it kept from being sent).
struct Driver {
    enum Mode: Sendable {
        case closed(concurrency: Int)
        case open(rate: Double, maxInFlight: Int)
    }

    let workload: any Workload
    let mode: Mode
    let channels: [RPCChannel]
    let loop: EventLoop
    let warmup: Duration
    let duration: Duration

    struct Result: Sendable {
        var latencyMicros = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        /// The same for operations refused with RESOURCE_EXHAUSTED: how fast overload is told
        /// (issue 16: within 10 ms), measured like the others (from the due time when open).
        var refusalMicros = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var operations = 0
        var rpcs = 0
        /// Calls answered OK (every call of an operation that succeeded, and those of an
        /// operation refused part-way that were answered before the refusal).
        var answeredCalls = 0
        /// Operations by outcome: "OK", a gRPC status name, or CLIENT_CHECK.
        var statuses: [String: Int] = [:]
        /// The first message seen per failing status, to say what went wrong.
        var samples: [String: String] = [:]
        /// Open loop: operations sent more than 1 ms after they were due (all callers busy).
        var lateSends = 0

        mutating func merge(_ other: Result) {
            latencyMicros.add(other.latencyMicros)
            refusalMicros.add(other.refusalMicros)
            operations += other.operations
            rpcs += other.rpcs
            answeredCalls += other.answeredCalls
            statuses.merge(other.statuses, uniquingKeysWith: +)
            samples.merge(other.samples) { first, _ in first }
            lateSends += other.lateSends
        }
    }

    /// Runs the load; the measured window is `measureFrom ..< end` of the returned instants.
    func run(start: ContinuousClock.Instant) async -> Result {
        let measureFrom = start + warmup
        let end = measureFrom + duration
        let callers: Int
        let slots = SlotCounter()
        switch mode {
        case .closed(let concurrency): callers = concurrency
        case .open(_, let maxInFlight): callers = maxInFlight
        }
        let workload = self.workload
        let mode = self.mode
        let channels = self.channels
        return await withTaskGroup(of: Result.self) { group in
            for caller in 0..<callers {
                let channel = channels[caller % channels.count]
                group.addTask(executorPreference: loop) {
                    switch mode {
                    case .closed:
                        return await Self.closedCaller(workload, channel: channel, slots: slots, measureFrom: measureFrom, end: end)
                    case .open(let rate, _):
                        return await Self.openCaller(workload, channel: channel, slots: slots, rate: rate, start: start,
                                                     measureFrom: measureFrom, end: end)
                    }
                }
            }
            var total = Result()
            for await result in group { total.merge(result) }
            return total
        }
    }

    private static func closedCaller(_ workload: any Workload, channel: RPCChannel, slots: SlotCounter,
                                     measureFrom: ContinuousClock.Instant, end: ContinuousClock.Instant) async -> Result {
        var result = Result()
        while true {
            let started = ContinuousClock.now
            guard started < end else { break }
            await attempt(workload, number: slots.next(), channel: channel, from: started, measured: started >= measureFrom,
                          into: &result)
        }
        return result
    }

    private static func openCaller(_ workload: any Workload, channel: RPCChannel, slots: SlotCounter, rate: Double,
                                   start: ContinuousClock.Instant, measureFrom: ContinuousClock.Instant,
                                   end: ContinuousClock.Instant) async -> Result {
        var result = Result()
        while true {
            let number = slots.next()
            let due = start + .nanoseconds(Int64((Double(number) * 1e9 / rate).rounded()))
            guard due < end else { break }
            let now = ContinuousClock.now
            if now < due {
                try? await Task.sleep(until: due, clock: .continuous)
            } else if now - due > .milliseconds(1), due >= measureFrom {
                result.lateSends += 1
            }
            await attempt(workload, number: number, channel: channel, from: due, measured: due >= measureFrom, into: &result)
        }
        return result
    }

    /// One operation; latency from `from` (its start, or its due time in the open loop).
    private static func attempt(_ workload: any Workload, number: Int, channel: RPCChannel,
                                from: ContinuousClock.Instant, measured: Bool, into result: inout Result) async {
        let status: String
        var message: String?
        var rpcs = 0
        var answered = 0
        do {
            rpcs = try await workload.operation(number, channel: channel)
            answered = rpcs
            status = "OK"
        } catch let error as RPCError {
            status = error.code.description
            message = error.message
            rpcs = 1
        } catch let refusal as RefusedAfter {
            status = refusal.error.code.description
            message = refusal.error.message
            rpcs = refusal.answered + 1
            answered = refusal.answered
        } catch let error as CheckFailure {
            status = "CLIENT_CHECK"
            message = error.message
        } catch {
            status = "CLIENT_ERROR"
            message = "\(error)"
        }
        guard measured else { return }
        result.operations += 1
        result.rpcs += rpcs
        result.answeredCalls += answered
        result.statuses[status, default: 0] += 1
        if let message, result.samples[status] == nil { result.samples[status] = message }
        guard status == "OK" || status == "RESOURCE_EXHAUSTED" else { return }
        let elapsed = ContinuousClock.now - from
        let micros = UInt64(max(0, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
        if status == "OK" {
            _ = result.latencyMicros.record(micros)
        } else {
            _ = result.refusalMicros.record(micros)
        }
    }
}

/// Hands out operation numbers: unique within the run, in order of taking.
final class SlotCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
