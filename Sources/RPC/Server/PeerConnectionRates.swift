import NetIO

/// How fast each client address may open connections, and the cool-down of an address whose
/// connections were closed for glitches (GlitchBudget). The glitch budget ends one abusive
/// connection; without this an attacker simply opens the next (a rapid-reset client reconnected
/// ~300 times a second), so the server kept paying for the HTTP/2 set-up and the first hundred
/// streams of every one. Judged at accept, before any TLS or HTTP/2 work: a refusal costs an
/// accept and a close.
///
/// - A token bucket per address: `burst` connections at once, `perSecond` after that.
/// - A cool-down: after a glitch close the address may open one connection per
///   `coolDownInterval` for `coolDown`, doubled for each further glitch close within
///   `maxCoolDown` of the last (up to `maxCoolDown`). One a second rather than none, so a
///   legitimate peer sharing the address (the gateway's own backend connection, which carries
///   every user's cancels) reconnects within a second, while an abuser is down to one
///   connection's glitch burst per second.
///
/// While an address cools down it is also blocked in the kernel for the rest of each interval
/// after its one connection (`kernelBlocks`, applied to every listener by ListenerKernelDrop as a
/// socket filter): the attacker's reconnects are dropped as SYNs instead of being accepted and
/// closed here, which cost the server as much as serving them. A legitimate peer's SYN, dropped,
/// is retransmitted by its TCP after about a second and finds the block lifted. At most
/// `kernelDropLimit` addresses are blocked at once; beyond that the refusal at accept still applies.
///
/// Addresses are keyed per client (PeerPrefix.key): IPv4 as it is, IPv6 by its /64 (a host
/// picks any address in it), IPv4-mapped IPv6 as the IPv4 address.
///
/// The table is bounded (`tableSize` addresses): when full, addresses whose state equals a new
/// one (bucket full, no cool-down) are forgotten first, then the least recently seen. An
/// attacker with more addresses than the table can thus shake out an older cool-down; memory
/// stays bounded, which matters more. A value type with the time passed in: tested without
/// sleeping; AdmissionControl holds it under its lock, the public HTTP/1.1 listener
/// (ServiceKit) on its loop.
public struct PeerConnectionRates: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Connections an address may open at once; 0 turns the rate limit off (the cool-down
        /// still applies).
        public var burst: Int
        /// Connections per second an address earns back.
        public var perSecond: Int
        /// The first cool-down after a glitch close; zero turns cool-downs off.
        public var coolDown: Duration
        public var maxCoolDown: Duration = .seconds(300)
        /// While cooling down, one connection per this interval.
        public var coolDownInterval: Duration = .seconds(1)
        /// Addresses remembered at most.
        public var tableSize = 4096
        /// Addresses blocked in the kernel at once while cooling down; 0: none (the refusal at
        /// accept alone).
        public var kernelDropLimit = PeerDropFilter.maxPrefixes

        public init(burst: Int, perSecond: Int, coolDown: Duration, maxCoolDown: Duration = .seconds(300),
                    coolDownInterval: Duration = .seconds(1), tableSize: Int = 4096,
                    kernelDropLimit: Int = PeerDropFilter.maxPrefixes) {
            self.burst = burst
            self.perSecond = perSecond
            self.coolDown = coolDown
            self.maxCoolDown = maxCoolDown
            self.coolDownInterval = coolDownInterval
            self.tableSize = tableSize
            self.kernelDropLimit = kernelDropLimit
        }
    }

    /// The addresses to drop in the kernel now; `generation` changes whenever the set does.
    struct KernelBlocks: Equatable {
        var generation: Int
        var prefixes: [PeerPrefix]
        /// When the earliest block ends (the set must be applied again then).
        var nextExpiry: MonotonicTime?
    }

    public enum Verdict: Equatable, Sendable {
        case admitted
        /// The address's bucket is empty.
        case overRate
        /// The address is cooling down and used its one connection of the interval.
        case coolingDown
    }

    private struct Peer {
        var tokens: Double
        var refilledAt: UInt64
        var lastSeen: UInt64
        var coolDownUntil: UInt64 = 0
        var nextInCoolDown: UInt64 = 0
        var lastOffence: UInt64 = 0
        var strikes = 0
    }

    public let limits: Limits
    private var peers: [String: Peer] = [:]
    /// Addresses blocked in the kernel, until when (nanoseconds); bounded by `kernelDropLimit`.
    private var blocked: [String: (prefix: PeerPrefix, until: UInt64)] = [:]
    /// Changes with every change of `blocked`.
    private(set) var blockGeneration = 0
    /// Blocks started so far (for /metrics).
    private(set) var kernelBlocksStarted = 0

    public init(limits: Limits) {
        self.limits = limits
    }

    /// Addresses remembered now (for tests and figures).
    public var count: Int { peers.count }

    private var rateLimited: Bool { limits.burst > 0 }

    /// Whether a new connection from `peer` may be served now; an admitted one spends a token.
    public mutating func admit(_ host: String, now: MonotonicTime) -> Verdict {
        let peer = PeerPrefix.key(forHost: host)
        let at = now.nanoseconds
        guard var state = peers[peer] ?? (rateLimited ? makePeer(at) : nil) else { return .admitted }
        state.lastSeen = at
        defer { store(peer, state, now: at) }
        if at < state.coolDownUntil {
            guard at >= state.nextInCoolDown else { return .coolingDown }
            state.nextInCoolDown = at &+ Self.nanos(limits.coolDownInterval)
            block(peer, until: min(state.nextInCoolDown, state.coolDownUntil), now: at)
            return .admitted
        }
        guard rateLimited else { return .admitted }
        refill(&state, at)
        guard state.tokens >= 1 else { return .overRate }
        state.tokens -= 1
        return .admitted
    }

    /// A connection from `peer` was closed for glitches: start (or lengthen) its cool-down.
    mutating func closedForGlitches(_ host: String, now: MonotonicTime) {
        guard limits.coolDown > .zero else { return }
        let peer = PeerPrefix.key(forHost: host)
        let at = now.nanoseconds
        var state = peers[peer] ?? makePeer(at)
        let window = Self.nanos(limits.maxCoolDown)
        state.strikes = state.strikes > 0 && at &- state.lastOffence <= window ? state.strikes + 1 : 1
        state.lastOffence = at
        let base = Self.nanos(limits.coolDown)
        let shift = UInt64(min(state.strikes - 1, 30))
        let (doubled, overflow) = base.multipliedReportingOverflow(by: 1 << shift)
        let length = overflow ? window : min(doubled, max(base, window))
        state.coolDownUntil = max(state.coolDownUntil, at &+ length)
        state.nextInCoolDown = at &+ Self.nanos(limits.coolDownInterval)
        state.tokens = 0
        state.refilledAt = at
        state.lastSeen = at
        store(peer, state, now: at)
        block(peer, until: min(state.nextInCoolDown, state.coolDownUntil), now: at)
    }

    /// True while `host`'s address is cooling down (for tests and figures).
    func isCoolingDown(_ host: String, now: MonotonicTime) -> Bool {
        guard let state = peers[PeerPrefix.key(forHost: host)] else { return false }
        return now.nanoseconds < state.coolDownUntil
    }

    // MARK: Kernel blocks

    /// What to drop in the kernel now: ended blocks are forgotten first.
    mutating func kernelBlocks(now: MonotonicTime) -> KernelBlocks {
        let at = now.nanoseconds
        pruneBlocks(at)
        return KernelBlocks(generation: blockGeneration, prefixes: blocked.values.map(\.prefix),
                            nextExpiry: blocked.values.map(\.until).min().map { MonotonicTime(nanoseconds: $0) })
    }

    /// Blocks `peer` in the kernel until `until` (an address that is not an IP address, or one
    /// past the limit, is refused at accept only).
    private mutating func block(_ peer: String, until: UInt64, now at: UInt64) {
        guard limits.kernelDropLimit > 0, until > at, let prefix = PeerPrefix(host: peer) else { return }
        if blocked[peer] == nil && blocked.count >= limits.kernelDropLimit {
            pruneBlocks(at)
            guard blocked.count < limits.kernelDropLimit else { return }
        }
        let already = blocked[peer].map { $0.until > at } ?? false
        blocked[peer] = (prefix, max(until, blocked[peer]?.until ?? 0))
        // Lengthening a block leaves the set (and the filter) as it is: its end is met by the
        // next `kernelBlocks` after the old end.
        guard !already else { return }
        blockGeneration &+= 1
        kernelBlocksStarted += 1
    }

    private mutating func pruneBlocks(_ at: UInt64) {
        let before = blocked.count
        blocked = blocked.filter { $0.value.until > at }
        if blocked.count != before { blockGeneration &+= 1 }
    }

    // MARK: Table

    private func makePeer(_ at: UInt64) -> Peer {
        Peer(tokens: Double(limits.burst), refilledAt: at, lastSeen: at)
    }

    private func refill(_ state: inout Peer, _ at: UInt64) {
        guard at > state.refilledAt else { return }
        let seconds = Double(at - state.refilledAt) / 1e9
        state.tokens = min(Double(limits.burst), state.tokens + seconds * Double(limits.perSecond))
        state.refilledAt = at
    }

    private mutating func store(_ peer: String, _ state: Peer, now at: UInt64) {
        if peers[peer] == nil && peers.count >= limits.tableSize { evict(now: at) }
        peers[peer] = state
    }

    /// Forgets at least an eighth of the table (so a full table is swept once per that many new
    /// addresses, not on every accept): first addresses indistinguishable from new ones, then
    /// the least recently seen.
    private mutating func evict(now at: UInt64) {
        let target = max(1, limits.tableSize / 8)
        let window = Self.nanos(limits.maxCoolDown)
        let forgettable = peers.compactMap { peer, state -> String? in
            var refilled = state
            refill(&refilled, at)
            let fresh = at >= state.coolDownUntil && (state.strikes == 0 || at &- state.lastOffence > window)
                && (!rateLimited || refilled.tokens >= Double(limits.burst))
            return fresh ? peer : nil
        }
        for peer in forgettable { peers[peer] = nil }
        let missing = target - forgettable.count
        guard missing > 0 else { return }
        for (peer, _) in peers.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(missing) {
            peers[peer] = nil
        }
    }

    private static func nanos(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max / 2 : whole + UInt64(attoseconds / 1_000_000_000)
    }
}
