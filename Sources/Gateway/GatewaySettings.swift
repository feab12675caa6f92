import ServiceKit

/// The gateway's own environment, beyond ServiceConfig's shared variables.
public struct GatewaySettings: Sendable, Equatable {
    public var sessionTTL: Duration = .seconds(8 * 3600)
    public var actorLifetime: Duration = .seconds(60)
    /// How long a resolved credential is reused without the database (0 = never). Logout,
    /// disable and revoke act at once on this replica, within this time on the others.
    public var credentialCacheLifetime: Duration = .seconds(2)
    /// The limits one caller gets from the whole system (XSC_RATE_*); each replica enforces its
    /// share (`replicaLimits`).
    public var rateLimits = TokenBuckets.Limits(burst: 50, ratePerSecond: 20)
    /// How many gateway replicas share the traffic (XSC_GATEWAY_REPLICAS). Buckets live in
    /// each replica's memory (a database round trip per call would double the gateway's added
    /// latency), so each replica enforces 1/N of the limits: with a load balancer spreading
    /// calls evenly a caller gets about the configured limits in total, never N times them.
    public var replicas = 1
    /// Logins per client address (each costs a scrypt hash).
    public var loginLimits = TokenBuckets.Limits(burst: 20, ratePerSecond: 5)
    public var passwordCost = PasswordHasher.Cost.standard
    /// XSC_PASSWORD_HASH_WORKERS / XSC_PASSWORD_HASH_QUEUE: threads hashing passwords at once
    /// and hashes that may wait for one; past both, a login gets RESOURCE_EXHAUSTED (HashingPool).
    public var passwordHashWorkers = 2
    public var passwordHashQueue = 32
    public var adminPhone = "13800000000"
    public var adminPassword: String?
    /// Optional extra routes for development and benchmarks: grpc.testing -> the interop
    /// server, bench.v1 -> the bench server.
    public var interopAddress: HostPort?
    public var benchAddress: HostPort?
    /// XSC_HTTP_LISTEN: the partner HTTP/JSON API over HTTP/1.1 (default 0.0.0.0:7180; "off"
    /// turns it off). HTTP/2 JSON requests are answered on the gRPC port regardless.
    public var httpListen: HostPort? = HostPort(host: "0.0.0.0", port: 7180)
    /// XSC_HTTP_MAX_BODY_BYTES: largest JSON request body (both transports), default 1 MiB.
    public var httpMaxBodyBytes = 1 << 20
    /// XSC_HTTP_FEED_HEARTBEAT_MS: an idle server-sent-events feed writes a comment this often
    /// (default 15 s; 0 = never), so proxies do not close it as idle.
    public var feedHeartbeat: Duration? = .seconds(15)

    public init() {}

    /// This replica's share of the configured rate limits.
    public var replicaLimits: TokenBuckets.Limits {
        TokenBuckets.Limits(burst: rateLimits.burst / Double(replicas), ratePerSecond: rateLimits.ratePerSecond / Double(replicas))
    }

    /// Reads XSC_SESSION_TTL_SECONDS, XSC_RATE_BURST, XSC_RATE_PER_SECOND, XSC_SCRYPT_LOG2N, XSC_AUTH_CACHE_MS,
    /// XSC_LOGIN_BURST, XSC_LOGIN_PER_SECOND, XSC_GATEWAY_REPLICAS, XSC_PASSWORD_HASH_WORKERS, XSC_PASSWORD_HASH_QUEUE,
    /// XSC_ADMIN_PHONE, XSC_ADMIN_PASSWORD, XSC_INTEROP_ADDR, XSC_BENCH_ADDR; returns every
    /// problem at once.
    public static func load(_ environment: [String: String]) -> (GatewaySettings, [String]) {
        var settings = GatewaySettings()
        var problems: [String] = []
        func number(_ name: String, _ range: ClosedRange<Double>) -> Double? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Double(text), range.contains(value) else {
                problems.append("\(name)=\(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            return value
        }
        if let ttl = number("XSC_SESSION_TTL_SECONDS", 1...(30 * 86400)) { settings.sessionTTL = .milliseconds(Int64(ttl * 1000)) }
        if let ms = number("XSC_AUTH_CACHE_MS", 0...60_000) { settings.credentialCacheLifetime = .milliseconds(Int64(ms)) }
        let burst = number("XSC_RATE_BURST", 1...1_000_000) ?? settings.rateLimits.burst
        let rate = number("XSC_RATE_PER_SECOND", 0.001...1_000_000) ?? settings.rateLimits.ratePerSecond
        settings.rateLimits = TokenBuckets.Limits(burst: burst, ratePerSecond: rate)
        if let replicas = number("XSC_GATEWAY_REPLICAS", 1...1000) { settings.replicas = Int(replicas) }
        settings.loginLimits = TokenBuckets.Limits(
            burst: number("XSC_LOGIN_BURST", 1...1_000_000) ?? settings.loginLimits.burst,
            ratePerSecond: number("XSC_LOGIN_PER_SECOND", 0.001...1_000_000) ?? settings.loginLimits.ratePerSecond)
        if let log2N = number("XSC_SCRYPT_LOG2N", 10...20) { settings.passwordCost.log2N = Int(log2N) }
        if let workers = number("XSC_PASSWORD_HASH_WORKERS", 1...64) { settings.passwordHashWorkers = Int(workers) }
        if let queue = number("XSC_PASSWORD_HASH_QUEUE", 0...10_000) { settings.passwordHashQueue = Int(queue) }
        if let phone = environment["XSC_ADMIN_PHONE"], !phone.isEmpty { settings.adminPhone = phone }
        if let password = environment["XSC_ADMIN_PASSWORD"], !password.isEmpty {
            if password.count < GatewayCore.minimumPasswordLength {
                problems.append("XSC_ADMIN_PASSWORD: at least \(GatewayCore.minimumPasswordLength) characters")
            }
            settings.adminPassword = password
        }
        for (name, keyPath) in [("XSC_INTEROP_ADDR", \GatewaySettings.interopAddress), ("XSC_BENCH_ADDR", \GatewaySettings.benchAddress)] {
            guard let text = environment[name], !text.isEmpty else { continue }
            if let address = HostPort(parsing: text) { settings[keyPath: keyPath] = address } else {
                problems.append("\(name)=\(text): expected host:port")
            }
        }
        if let text = environment["XSC_HTTP_LISTEN"], !text.isEmpty {
            if text == "off" {
                settings.httpListen = nil
            } else if let address = HostPort(parsing: text) {
                settings.httpListen = address
            } else {
                problems.append("XSC_HTTP_LISTEN=\(text): expected host:port or off")
            }
        }
        if let bytes = number("XSC_HTTP_MAX_BODY_BYTES", 1024...(16 * 1024 * 1024)) { settings.httpMaxBodyBytes = Int(bytes) }
        if let ms = number("XSC_HTTP_FEED_HEARTBEAT_MS", 0...600_000) { settings.feedHeartbeat = ms == 0 ? nil : .milliseconds(Int64(ms)) }
        return (settings, problems)
    }
}
