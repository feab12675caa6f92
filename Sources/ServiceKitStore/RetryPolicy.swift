/// How often and how far apart failed work (an outbox delivery, a timer handler) is retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Delay after the first failure; it doubles per further failure up to `maxDelay`.
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// After this many failed attempts the work is marked 'dead' (visible, re-drivable).
    public var maxAttempts: Int

    public init(baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(600), maxAttempts: Int = 20) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = max(1, maxAttempts)
    }

    /// The pause after `attempt` failures (attempt >= 1): exponential, capped, with "equal
    /// jitter" (a random point in the upper half), so replicas that failed together spread
    /// out yet never retry sooner than half the nominal delay.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let base = max(1, baseDelay.milliseconds)
        let cap = max(base, maxDelay.milliseconds)
        let shift = min(max(attempt - 1, 0), 40)
        let nominal = base > cap >> shift ? cap : min(cap, base << shift)
        let half = nominal / 2
        return .milliseconds(half + Int64.random(in: 0...(nominal - half)))
    }
}
