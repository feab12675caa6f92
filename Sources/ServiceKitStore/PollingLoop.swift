import Synchronization

/// The loop behind every worker: run a round; when the round says more work is waiting, run
/// the next at once, otherwise sleep for the interval or until woken. A failed round is
/// reported and followed by a normal sleep, so a database outage costs one attempt per
/// interval, not a busy loop.
final class PollingLoop: Sendable {
    let name: String
    private let interval: Duration
    private let stopGracePeriod: Duration
    private let reportError: WorkerErrorReporter
    private let wakeup = Wakeup()

    private struct State {
        var task: Task<Void, Never>?
        var stopping = false
    }
    private let state = Mutex(State())

    init(name: String, interval: Duration, stopGracePeriod: Duration, reportError: @escaping WorkerErrorReporter) {
        self.name = name
        self.interval = interval
        self.stopGracePeriod = stopGracePeriod
        self.reportError = reportError
    }

    /// Starts looping over `round`, which returns true when it knows more work is due now;
    /// on `executor` when given (an event loop: the round's database round trips and calls
    /// then run on that loop's thread, no hand-off to a worker thread and back), else on the
    /// global executor.
    func start(on executor: (any TaskExecutor)? = nil, _ round: @escaping @Sendable () async throws -> Bool) {
        state.withLock { state in
            guard state.task == nil, !state.stopping else { return }
            state.task = Task(executorPreference: executor) { [self] in await self.run(round) }
        }
    }

    /// Ends the sleep early (new work was committed).
    func wake() { wakeup.signal() }

    func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.stopping = true
            return state.task
        }
        wakeup.signal()
        guard let task else { return }
        let grace = stopGracePeriod
        let enforcer = Task {
            try? await Task.sleep(for: grace)
            if !Task.isCancelled { task.cancel() }
        }
        await task.value
        enforcer.cancel()
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func run(_ round: @Sendable () async throws -> Bool) async {
        while !isStopping && !Task.isCancelled {
            var moreWork = false
            do {
                moreWork = try await round()
            } catch {
                if Task.isCancelled || isStopping { break }
                reportError(name, error)
            }
            if isStopping || Task.isCancelled { break }
            if !moreWork { await wakeup.wait(for: interval) }
        }
    }
}
