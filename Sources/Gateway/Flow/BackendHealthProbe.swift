import Messages
import RPC
import ServiceAPI
import ServiceKit
import Synchronization

/// Mirrors each backend's health into the gateway's own health service, so one health client
/// pointed at the gateway sees the whole system: the backend's name ("orders") and each of its
/// proto services ("xsc.orders.v1.OrderService") answer SERVING or NOT_SERVING as the backend's
/// own overall health check last answered. The gateway's "" stays about the gateway itself.
public final class BackendHealthProbe: BackgroundWorker {
    public let name = "backend-health"
    private let backends: [(package: String, backend: BackendRouter.Backend)]
    private let interval: Duration
    private let store = Mutex<HealthStatusStore?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(router: BackendRouter, interval: Duration = .seconds(2)) {
        backends = router.backends.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        self.interval = interval
    }

    /// The server's health store; the probe reports nothing until it has one.
    public func attach(_ health: HealthStatusStore) {
        store.withLock { $0 = health }
        for entry in backends {
            for name in Self.names(of: entry.backend.name, package: entry.package) { health.set(.notServing, for: name) }
        }
    }

    static func names(of backend: String, package: String) -> [String] {
        [backend] + XSCProtoDescriptors.files.filter { $0.package == package }.flatMap(\.services)
    }

    public func start() throws {
        let probe = self
        task.withLock { $0 = Task { await probe.loop() } }
    }

    public func stop() async {
        let running = task.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }

    private func loop() async {
        while !Task.isCancelled {
            await probeAll()
            try? await Task.sleep(for: interval)
        }
    }

    func probeAll() async {
        guard let health = store.withLock({ $0 }) else { return }
        for entry in backends {
            var status: HealthStatusStore.Status = .notServing
            if let answer = try? await Grpc_Health_V1_HealthClient(channel: entry.backend.channel)
                .check(Grpc_Health_V1_HealthCheckRequest(), options: CallOptions(timeout: .seconds(1))) {
                status = answer.status == .serving ? .serving : .notServing
            }
            // Shutting down (the gateway went NOT_SERVING): leave every status as the runner set it.
            guard health.status(of: "") == .serving else { return }
            for name in Self.names(of: entry.backend.name, package: entry.package) { health.set(status, for: name) }
        }
    }
}
