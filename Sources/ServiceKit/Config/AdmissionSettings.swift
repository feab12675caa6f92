/// How much work one service process takes on before it refuses more, read from the
/// environment so each service of a deployment gets limits that fit its own handlers (issue 16).
/// A refusal is always fast and cheap: a connection past a limit is closed at accept, a call
/// past `maxCallsInFlight` gets RESOURCE_EXHAUSTED with RetryInfo at once, and a call that
/// finds every database connection busy waits at most `databaseAcquireTimeout` in a queue of at
/// most `databaseMaxWaiters` before UNAVAILABLE. Nothing waits the old 5 seconds.
public struct AdmissionSettings: Sendable, Equatable {
    /// XSC_MAX_CONNECTIONS: open gRPC connections per process.
    public var maxConnections = 4096
    /// XSC_MAX_CONNECTIONS_PER_PEER: open gRPC connections per client address.
    public var maxConnectionsPerPeer = 1024
    /// XSC_PEER_CONNECT_BURST: connections one client address may open at once (0: no rate
    /// limit); XSC_PEER_CONNECT_RATE: per second after that. Past them a connection is closed
    /// at accept. Generous: load tests, the CLI and the gateway's backend connections all come
    /// from one address and may reconnect in bursts; a reconnect loop is what it stops.
    public var peerConnectBurst = 500
    public var peerConnectRate = 100
    /// XSC_PEER_COOLDOWN_MS: after a connection was closed for glitches (rapid reset and the
    /// like), its address may open one connection a second for this long (doubled per repeat,
    /// up to 5 minutes); 0 turns cool-downs off.
    public var peerCoolDown: Duration = .seconds(10)
    /// XSC_PEER_KERNEL_DROP (1 or 0): while an address cools down, its connection attempts
    /// between its one connection a second are dropped in the kernel (a socket filter on the
    /// listeners) rather than accepted and closed. A legitimate client sharing a cooling-down
    /// address (the gateway's backend connections from 127.0.0.1) then connects when its TCP
    /// retransmits the SYN, about a second later, instead of seeing its connection closed.
    public var peerKernelDrop = true
    /// XSC_MAX_CALLS_IN_FLIGHT: calls being handled at once (health and reflection exempt).
    public var maxCallsInFlight = 4096
    /// XSC_MAX_UNARY_CALLS_IN_FLIGHT: unary calls handled at once, besides the cap above; 0
    /// means no cap of their own. Unset (nil): what the database pool carries (see
    /// `unaryCallLimit`), for every service but a proxy (the gateway), whose calls do not
    /// hold its pool.
    public var maxUnaryCallsInFlight: Int?
    /// XSC_BUSY_RETRY_AFTER_MS: the RetryInfo delay a refused call is given.
    public var busyRetryAfter: Duration = .milliseconds(100)
    /// XSC_DB_MAX_WAITERS: calls that may queue for a database connection; past it a call is
    /// refused at once.
    public var databaseMaxWaiters = 64
    /// XSC_DB_ACQUIRE_TIMEOUT_MS: how long a queued call waits for a database connection.
    public var databaseAcquireTimeout: Duration = .milliseconds(500)

    public init() {}

    /// The cap on unary calls in flight for a service with a pool of `databasePoolSize`: the
    /// explicit XSC_MAX_UNARY_CALLS_IN_FLIGHT (0: none), else the pool plus three quarters of its
    /// waiters (the last quarter stays for the outbox relay and timers, which share the pool).
    /// Past that a call could only queue behind the others and be refused there after waiting,
    /// as UNAVAILABLE; below it an admitted call always gets a connection or a place in the
    /// queue, and the excess is refused at once with RESOURCE_EXHAUSTED + RetryInfo (issue 16:
    /// goodput under overload). nil for a proxy unless set explicitly.
    public func unaryCallLimit(databasePoolSize: Int, proxies: Bool) -> Int? {
        if let explicit = maxUnaryCallsInFlight { return explicit > 0 ? explicit : nil }
        if proxies { return nil }
        return max(1, databasePoolSize + databaseMaxWaiters * 3 / 4)
    }

    /// The variables in the order `--print-config` shows them.
    public var printableLines: [String] {
        [
            "XSC_MAX_CONNECTIONS=\(maxConnections)",
            "XSC_MAX_CONNECTIONS_PER_PEER=\(maxConnectionsPerPeer)",
            "XSC_PEER_CONNECT_BURST=\(peerConnectBurst)",
            "XSC_PEER_CONNECT_RATE=\(peerConnectRate)",
            "XSC_PEER_COOLDOWN_MS=\(peerCoolDown.wholeMilliseconds)",
            "XSC_PEER_KERNEL_DROP=\(peerKernelDrop ? 1 : 0)",
            "XSC_MAX_CALLS_IN_FLIGHT=\(maxCallsInFlight)",
            "XSC_MAX_UNARY_CALLS_IN_FLIGHT=\(maxUnaryCallsInFlight.map(String.init) ?? "auto")",
            "XSC_BUSY_RETRY_AFTER_MS=\(busyRetryAfter.wholeMilliseconds)",
            "XSC_DB_MAX_WAITERS=\(databaseMaxWaiters)",
            "XSC_DB_ACQUIRE_TIMEOUT_MS=\(databaseAcquireTimeout.wholeMilliseconds)",
        ]
    }
}

extension EnvironmentReader {
    /// Every admission variable, each checked against its range; a bad one is reported and
    /// its default kept so the other problems are still found.
    mutating func admission() -> AdmissionSettings {
        var settings = AdmissionSettings()
        settings.maxConnections = wholeNumber("XSC_MAX_CONNECTIONS", in: 1...1_000_000, default: settings.maxConnections)
        settings.maxConnectionsPerPeer = wholeNumber("XSC_MAX_CONNECTIONS_PER_PEER", in: 1...1_000_000,
                                                     default: settings.maxConnectionsPerPeer)
        settings.peerConnectBurst = wholeNumber("XSC_PEER_CONNECT_BURST", in: 0...1_000_000, default: settings.peerConnectBurst)
        settings.peerConnectRate = wholeNumber("XSC_PEER_CONNECT_RATE", in: 1...1_000_000, default: settings.peerConnectRate)
        settings.peerCoolDown = .milliseconds(wholeNumber("XSC_PEER_COOLDOWN_MS", in: 0...3_600_000,
                                                          default: Int(settings.peerCoolDown.wholeMilliseconds)))
        settings.peerKernelDrop = wholeNumber("XSC_PEER_KERNEL_DROP", in: 0...1, default: 1) == 1
        settings.maxCallsInFlight = wholeNumber("XSC_MAX_CALLS_IN_FLIGHT", in: 1...1_000_000, default: settings.maxCallsInFlight)
        if value("XSC_MAX_UNARY_CALLS_IN_FLIGHT") != nil {
            settings.maxUnaryCallsInFlight = wholeNumber("XSC_MAX_UNARY_CALLS_IN_FLIGHT", in: 0...1_000_000, default: 0)
        }
        settings.busyRetryAfter = .milliseconds(wholeNumber("XSC_BUSY_RETRY_AFTER_MS", in: 1...60_000,
                                                            default: Int(settings.busyRetryAfter.wholeMilliseconds)))
        settings.databaseMaxWaiters = wholeNumber("XSC_DB_MAX_WAITERS", in: 0...100_000, default: settings.databaseMaxWaiters)
        settings.databaseAcquireTimeout = .milliseconds(wholeNumber("XSC_DB_ACQUIRE_TIMEOUT_MS", in: 1...60_000,
                                                                    default: Int(settings.databaseAcquireTimeout.wholeMilliseconds)))
        if settings.maxConnectionsPerPeer > settings.maxConnections {
            problems.append("XSC_MAX_CONNECTIONS_PER_PEER (\(settings.maxConnectionsPerPeer)) must not exceed XSC_MAX_CONNECTIONS (\(settings.maxConnections))")
        }
        return settings
    }

    mutating func wholeNumber(_ name: String, in range: ClosedRange<Int>, default fallback: Int) -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            problems.append("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            return fallback
        }
        return number
    }
}
