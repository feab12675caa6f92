import ServiceKit
import Synchronization

/// Runs the delivery queue: claim a batch, hand each message to the provider concurrently,
/// record the outcomes; sleep `pollInterval` when nothing was due (or until `wake()`).
/// Safe with any number of replicas (the queue's claims are SKIP LOCKED leases).
public final class DeliveryWorker: BackgroundWorker {
    public struct Configuration: Sendable {
        public var batchSize = 16
        public var pollInterval: Duration = .milliseconds(500)
        public init() {}
    }

    public let name = "sms-delivery"
    let queue: DeliveryQueue
    let provider: any SMSProvider
    let configuration: Configuration
    let logger: Logger
    let metrics: DeliveryMetrics?
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let wakeups = ChangeSignal()

    public init(queue: DeliveryQueue, provider: any SMSProvider, configuration: Configuration = Configuration(),
                logger: Logger, metrics: DeliveryMetrics? = nil) {
        self.queue = queue
        self.provider = provider
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    public func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await loop() }
        }
    }

    public func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        wake()
        await running?.value
    }

    /// Deliver now instead of at the next poll (a Send just committed).
    public func wake() {
        wakeups.post()
    }

    private func loop() async {
        while !Task.isCancelled {
            let seen = wakeups.generation
            var more = false
            do {
                more = try await runOnce() >= configuration.batchSize
            } catch {
                if Task.isCancelled { break }
                logger.error("sms delivery round failed", ["error": .string(String(describing: error))])
            }
            if !more && !Task.isCancelled { await wakeups.wait(since: seen, timeout: configuration.pollInterval) }
        }
    }

    /// One round; returns how many messages it claimed.
    @discardableResult
    public func runOnce() async throws -> Int {
        let claimed = try await queue.claim(limit: configuration.batchSize)
        guard !claimed.isEmpty else { return 0 }
        let provider = self.provider
        let outcomes = await withTaskGroup(of: (DeliveryQueue.Claimed, DeliveryQueue.Outcome).self) { group in
            for item in claimed {
                group.addTask {
                    do throws(SMSProviderError) {
                        let id = try await provider.send(item.sms)
                        return (item, .sent(provider: provider.name, providerMessageID: id))
                    } catch {
                        return (item, .failed(error))
                    }
                }
            }
            var all: [(DeliveryQueue.Claimed, DeliveryQueue.Outcome)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for (item, outcome) in outcomes {
            guard let state = await recordUntilDone(item, outcome) else { break }  // stopping
            log(item, outcome, state)
        }
        return claimed.count
    }

    /// Records an outcome, trying again while the database refuses (a pool exhausted under load,
    /// a restart): the provider already has the message, and a record given up on would leave the
    /// row to be claimed again after its lease and sent a second time. The row stays ours while
    /// its lease token is (nobody else records over it), so a late record is still right.
    /// nil only when the worker is stopping.
    private func recordUntilDone(_ item: DeliveryQueue.Claimed, _ outcome: DeliveryQueue.Outcome) async -> StoredMessage.State?? {
        var pause: Duration = .milliseconds(50)
        var failures = 0
        while !Task.isCancelled {
            do {
                return .some(try await queue.record(item, outcome))
            } catch {
                failures += 1
                if failures == 1 || failures.isMultiple(of: 20) {
                    logger.warning("sms outcome not recorded yet, trying again", [
                        "message_id": .string(item.sms.messageID), "failures": .int(Int64(failures)),
                        "error": .string(String(describing: error)),
                    ])
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
        return nil
    }

    private func log(_ item: DeliveryQueue.Claimed, _ outcome: DeliveryQueue.Outcome, _ state: StoredMessage.State?) {
        let fields: KeyValuePairs<String, LogValue> = [
            "message_id": .string(item.sms.messageID), "to": .string(item.sms.phone.masked),
            "attempt": .int(Int64(item.sms.attempt)), "state": .string(state?.rawValue ?? "lease_lost"),
            "outcome": .string(String(describing: outcome)),
        ]
        switch state {
        case .sent?: logger.info("sms sent", fields)
        case .failed?: logger.warning("sms failed for good", fields)
        default: logger.info("sms attempt did not complete", fields)
        }
        metrics?.count(state)
    }
}

/// Delivery attempts by outcome (no phone numbers in labels).
public struct DeliveryMetrics: Sendable {
    let attempts: MetricFamily<Counter>

    public init(registry: MetricsRegistry) {
        attempts = registry.counter("xsc_sms_delivery_attempts_total", help: "SMS delivery attempts by resulting state",
                                    labels: ["state"])
    }

    func count(_ state: StoredMessage.State?) {
        attempts.labels(state?.rawValue ?? "lease_lost").increment()
    }
}
