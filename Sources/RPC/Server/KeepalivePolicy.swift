import NetIO

/// How a server treats idle connections and client pings (the rules of gRPC's keepalive
/// design, with grpc-go's defaults).
public struct KeepalivePolicy: Sendable {
    /// After this long without a frame from the client, ping it to find dead connections.
    public var pingAfterIdle: Duration = .seconds(7200)
    /// Close the connection when a ping is not acknowledged within this time.
    public var pingTimeout: Duration = .seconds(20)
    /// Clients may ping at most this often...
    public var minClientPingInterval: Duration = .seconds(300)
    /// ...and only while they have calls open, unless this is true.
    public var permitClientPingWithoutCalls = false
    /// Pings breaking the rules that are tolerated before GOAWAY(ENHANCE_YOUR_CALM).
    public var maxPingStrikes = 2

    public init() {}
}

/// Per-connection bookkeeping for `KeepalivePolicy`; the connection feeds it events.
struct KeepaliveState {
    private let policy: KeepalivePolicy
    private var lastClientPing: MonotonicTime?
    private var strikes = 0
    private(set) var lastActivity = MonotonicTime.now()
    /// When our own ping went out, while it waits for its ACK.
    private(set) var outstandingPingSince: MonotonicTime?

    init(policy: KeepalivePolicy) { self.policy = policy }

    mutating func sawActivity(now: MonotonicTime) { lastActivity = now }

    mutating func callOpened() { strikes = 0 }

    /// A client ping arrived; true when the client has now broken the rules too often.
    mutating func clientPinged(now: MonotonicTime, hasCalls: Bool) -> Bool {
        let tooSoon = lastClientPing.map { now < $0.adding(policy.minClientPingInterval) } ?? false
        if tooSoon || (!hasCalls && !policy.permitClientPingWithoutCalls) { strikes += 1 }
        lastClientPing = now
        return strikes > policy.maxPingStrikes
    }

    mutating func pingSent(now: MonotonicTime) { outstandingPingSince = now }
    mutating func pingAcknowledged() { outstandingPingSince = nil }

    enum Verdict { case wait(until: MonotonicTime), ping, close }

    /// What the idle check should do now.
    func check(now: MonotonicTime) -> Verdict {
        if let sent = outstandingPingSince {
            let deadline = sent.adding(policy.pingTimeout)
            return now >= deadline ? .close : .wait(until: deadline)
        }
        let due = lastActivity.adding(policy.pingAfterIdle)
        return now >= due ? .ping : .wait(until: due)
    }
}
