import Messages
import Synchronization

/// The serving status of each service of one server, as `grpc.health.v1.Health` reports it.
/// The server owns one; "" names the server as a whole. Setting a status wakes every `Watch`
/// of that service.
public final class HealthStatusStore: Sendable {
    public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<Status>.Continuation
    }

    private struct State {
        var statuses: [String: Status]
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// The whole server ("") and each of `services` start SERVING.
    public init(serving services: [String] = []) {
        var statuses: [String: Status] = ["": .serving]
        for service in services { statuses[service] = .serving }
        state = Mutex(State(statuses: statuses))
    }

    public func set(_ status: Status, for service: String = "") {
        let toWake: [AsyncStream<Status>.Continuation] = state.withLock { state in
            guard state.statuses[service] != status else { return [] }
            state.statuses[service] = status
            return state.watchers.values.filter { $0.service == service }.map(\.continuation)
        }
        for continuation in toWake { continuation.yield(status) }
    }

    /// Forgets a service; its watchers see SERVICE_UNKNOWN.
    public func remove(_ service: String) {
        let toWake: [AsyncStream<Status>.Continuation] = state.withLock { state in
            guard state.statuses.removeValue(forKey: service) != nil else { return [] }
            return state.watchers.values.filter { $0.service == service }.map(\.continuation)
        }
        for continuation in toWake { continuation.yield(.serviceUnknown) }
    }

    /// Every known service NOT_SERVING: the first step of a graceful shutdown.
    public func markAllNotServing() {
        for service in snapshot().keys { set(.notServing, for: service) }
    }

    /// nil when the service is unknown.
    public func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    public func snapshot() -> [String: Status] {
        state.withLock { $0.statuses }
    }

    /// The current status (SERVICE_UNKNOWN when unknown) followed by every change, until the
    /// consumer stops iterating (e.g. its task is cancelled).
    func updates(of service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(8))
        let id: UInt64 = state.withLock { state in
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(service: service, continuation: continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }
}
