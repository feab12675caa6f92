import NetIO

/// A connection's allowance of glitches: things cheap for a client to send and costly for us to
/// serve, which a well-behaved client does only now and then. Counted: streams the client resets
/// while we are still serving them (HTTP/2 rapid reset, CVE-2023-44487), malformed requests,
/// frames nghttp2 finds invalid, empty DATA and PRIORITY frames. A token bucket: `burst` at once, refilled at `perSecond`, so a
/// long-lived connection that cancels a call now and then never runs out, while one that resets
/// streams as fast as it can is out after `burst` (the server then ends it with
/// GOAWAY(ENHANCE_YOUR_CALM)).
struct GlitchBudget {
    struct Limits: Sendable {
        var burst: Int
        var perSecond: Int
    }

    let limits: Limits
    private var tokens: Double
    private var refilledAt: MonotonicTime
    /// Glitches spent over the connection's life (for figures and tests).
    private(set) var spent = 0

    init(limits: Limits, now: MonotonicTime) {
        self.limits = limits
        tokens = Double(limits.burst)
        refilledAt = now
    }

    /// A client reset of a call is a glitch only when it is premature: within a second of the
    /// call's start, and not at its deadline (the client gives up when the time is over, and the
    /// server's own timer may lose that race). A call cancelled after running a while, or every
    /// call of a shared connection timing out at once while a database is down, is not abuse;
    /// a stream opened and reset at once, thousands of times, is. (Envoy draws the same line.)
    static let prematureResetAge: UInt64 = 1_000_000_000
    static let deadlineSlack: UInt64 = 100_000_000

    static func isPrematureReset(of context: ServerContext, now: MonotonicTime) -> Bool {
        guard now.nanoseconds &- context.startedAt.nanoseconds < prematureResetAge else { return false }
        if let deadline = context.deadline, deadline.nanoseconds <= now.nanoseconds &+ deadlineSlack { return false }
        return true
    }

    /// Glitches that may still be spent now (without the refill since the last `spend`).
    var remaining: Int { max(0, Int(tokens)) }

    /// Takes `count` glitches; false once the budget is overdrawn.
    mutating func spend(_ count: Int, now: MonotonicTime) -> Bool {
        if now > refilledAt {
            let seconds = Double(now.nanoseconds - refilledAt.nanoseconds) / 1e9
            tokens = min(Double(limits.burst), tokens + seconds * Double(limits.perSecond))
            refilledAt = now
        }
        spent += count
        tokens -= Double(count)
        return tokens >= 0
    }
}
