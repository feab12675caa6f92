import Synchronization

/// Token buckets keyed by caller (an account or an API key): `burst` calls at once, refilled at
/// `ratePerSecond`. So over any interval of t seconds a caller gets at most burst + rate × t.
/// In memory per gateway process; with N replicas each enforces 1/N of the configured limits
/// (GatewaySettings.replicaLimits).
public final class TokenBuckets: Sendable {
    public struct Limits: Sendable, Equatable {
        public var burst: Double
        public var ratePerSecond: Double

        public init(burst: Double, ratePerSecond: Double) {
            self.burst = max(1, burst)
            self.ratePerSecond = max(0.001, ratePerSecond)
        }
    }

    public enum Decision: Equatable, Sendable {
        case allowed
        /// Try again after this many milliseconds.
        case refused(retryAfterMs: Int64)
    }

    private struct Bucket {
        var tokens: Double
        var updatedAtMs: Int64
    }

    public let limits: Limits
    private let buckets = Mutex<[String: Bucket]>([:])
    private let maxKeys: Int

    public init(limits: Limits, maxKeys: Int = 100_000) {
        self.limits = limits
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key` at time `nowMs` (monotonic milliseconds).
    public func take(_ key: String, nowMs: Int64) -> Decision {
        let limits = self.limits
        let maxKeys = self.maxKeys
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: limits.burst, updatedAtMs: nowMs)
            let elapsed = Double(max(0, nowMs - bucket.updatedAtMs)) / 1000
            bucket.tokens = min(limits.burst, bucket.tokens + elapsed * limits.ratePerSecond)
            bucket.updatedAtMs = nowMs
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                let missing = 1 - bucket.tokens
                decision = .refused(retryAfterMs: Int64((missing / limits.ratePerSecond * 1000).rounded(.up)))
            }
            if buckets[key] == nil && buckets.count >= maxKeys {
                // Full buckets carry no state worth keeping: forget them before growing.
                buckets = buckets.filter { $0.value.tokens < limits.burst }
            }
            buckets[key] = bucket
            return decision
        }
    }
}
