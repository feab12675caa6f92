import LibPQ
import Synchronization

/// Opens connections for every worker of a pool and remembers recent failures: while the
/// database is down, only one connect attempt per backoff period pays the cost; every other
/// caller fails fast with `unavailable`, and the first success closes the circuit again.
final class Connector: Sendable {
    private let parameters: [(String, String)]
    private let connectTimeout: Duration
    private let baseBackoff: Duration
    private let maxBackoff: Duration

    private struct FailureState {
        var consecutiveFailures = 0
        var retryNotBefore: ContinuousClock.Instant?
        var lastMessage = ""
    }
    private let failures = Mutex(FailureState())

    init(configuration: PostgresConfiguration) throws(PostgresError) {
        self.parameters = try configuration.connectionParameters()
        self.connectTimeout = configuration.connectTimeout
        self.baseBackoff = configuration.reconnectBackoff
        self.maxBackoff = configuration.maxReconnectBackoff
    }

    func connect(deadline: ContinuousClock.Instant) throws(PostgresError) -> PGConnection {
        let now = ContinuousClock.now
        let blocked = failures.withLock { state -> String? in
            guard let notBefore = state.retryNotBefore, now < notBefore else { return nil }
            return state.lastMessage
        }
        if let blocked {
            throw PostgresError(.unavailable, "database unavailable (\(blocked))")
        }
        let connectDeadline = min(deadline, now + connectTimeout)
        do {
            let connection = try PGConnection.connect(parameters: parameters, deadline: connectDeadline)
            failures.withLock { $0 = FailureState() }
            return connection
        } catch {
            if error.kind == .deadlineExceeded && connectDeadline == deadline {
                // The caller's own deadline was too short; says nothing about the database.
                throw error
            }
            let message = error.message
            failures.withLock { state in
                state.consecutiveFailures += 1
                let factor = 1 << min(state.consecutiveFailures - 1, 16)
                state.retryNotBefore = ContinuousClock.now + min(maxBackoff, baseBackoff * factor)
                state.lastMessage = message
            }
            throw PostgresError(.unavailable, "database unavailable (\(message))")
        }
    }
}
