import NetIO

/// Reads one variable at a time and collects what is wrong instead of stopping at the first
/// problem. Messages name the variable and what is expected, never a secret's value.
struct EnvironmentReader {
    let environment: [String: String]
    var problems: [String] = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    /// The value, or nil when unset or empty (an empty variable is treated as unset, as shells
    /// and compose files produce them by accident).
    func value(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    mutating func address(_ name: String, default fallback: HostPort?) -> HostPort? {
        guard let text = value(name) else {
            if fallback == nil { problems.append("\(name) is required (host:port)") }
            return fallback
        }
        guard let address = HostPort(parsing: text) else {
            problems.append("\(name) must be host:port with a port in 0...65535, got \"\(text)\"")
            return nil
        }
        return address
    }

    /// A local address to bind: its host must be an IP address (or localhost), which is all
    /// the listeners accept.
    mutating func listenAddress(_ name: String, default fallback: HostPort?) -> HostPort? {
        guard let address = address(name, default: fallback) else { return nil }
        guard (try? SocketAddress(numericHost: address.host, port: address.port)) != nil else {
            problems.append("\(name) must name an IP address to listen on (like 0.0.0.0:7101 or [::]:7101), got \"\(address)\"")
            return nil
        }
        return address
    }

    mutating func databaseURL(required: Bool) -> String? {
        guard let url = value("DATABASE_URL") else {
            if required {
                problems.append("DATABASE_URL is required (postgres://user:password@host:5432/dbname)")
            }
            return nil
        }
        guard DatabaseURL.isPlausible(url) else {
            // The value may hold a password: describe it, do not echo it.
            problems.append("DATABASE_URL must be a postgres:// or postgresql:// URL or a libpq key=value string")
            return nil
        }
        return url
    }

    mutating func actorSecret() -> ActorSecret? {
        guard let text = value("XSC_ACTOR_SECRET") else {
            problems.append("XSC_ACTOR_SECRET is required (a shared secret of at least \(ActorSecret.minimumLength) bytes)")
            return nil
        }
        guard !ActorSecret.isPlaceholder(text) else {
            problems.append("XSC_ACTOR_SECRET is a published placeholder; generate one (openssl rand -hex 32) and give the same value to every service")
            return nil
        }
        guard let secret = ActorSecret(text) else {
            problems.append("XSC_ACTOR_SECRET is \(text.utf8.count) bytes long; it must be at least \(ActorSecret.minimumLength)")
            return nil
        }
        return secret
    }

    mutating func logLevel() -> LogLevel {
        guard let text = value("LOG_LEVEL") else { return .info }
        guard let level = LogLevel(name: text) else {
            problems.append("LOG_LEVEL must be one of debug, info, warning, error, got \"\(text)\"")
            return .info
        }
        return level
    }

    /// Checked for shape only (Area/Location or UTC): the zone database may be absent in slim
    /// images, and the domain code that uses the zone reports a missing one.
    mutating func timeZone() -> String {
        guard let text = value("XSC_ORG_TIMEZONE") else { return ServiceConfig.defaultTimeZone }
        let allowed = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/_+-".contains($0)) }
        guard allowed, !text.hasPrefix("/"), !text.hasSuffix("/"), !text.contains("//") else {
            problems.append("XSC_ORG_TIMEZONE must be an IANA time zone name like Asia/Shanghai, got \"\(text)\"")
            return ServiceConfig.defaultTimeZone
        }
        return text
    }

    mutating func databasePoolSize() -> Int {
        guard let text = value("XSC_DB_POOL_SIZE") else { return ServiceConfig.defaultDatabasePoolSize }
        guard let size = Int(text), (1...500).contains(size) else {
            problems.append("XSC_DB_POOL_SIZE must be a whole number from 1 to 500, got \"\(text)\"")
            return ServiceConfig.defaultDatabasePoolSize
        }
        return size
    }

    mutating func claimLease() -> Duration {
        guard let text = value("XSC_CLAIM_LEASE_MS") else { return ServiceConfig.defaultClaimLease }
        guard let millis = Int64(text), ServiceConfig.claimLeaseRange.contains(millis) else {
            let range = ServiceConfig.claimLeaseRange
            problems.append("XSC_CLAIM_LEASE_MS must be a whole number of milliseconds from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            return ServiceConfig.defaultClaimLease
        }
        return .milliseconds(millis)
    }

    mutating func outboxHandOff() -> Bool {
        guard let text = value("XSC_OUTBOX_HANDOFF") else { return ServiceConfig.defaultOutboxHandOff }
        switch text {
        case "on": return true
        case "off": return false
        default:
            problems.append("XSC_OUTBOX_HANDOFF must be on or off, got \"\(text)\"")
            return ServiceConfig.defaultOutboxHandOff
        }
    }
}
