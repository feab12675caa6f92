import LibPQ

/// How a pool connects and behaves. Defaults suit a service on a 2-core machine.
public struct PostgresConfiguration: Sendable {
    /// A libpq URL or keyword=value string (the service's DATABASE_URL).
    public var connectionString: String
    /// Upper bound on open connections (and connection threads).
    public var maxConnections: Int = 10
    /// How long a caller waits for a free connection before `poolExhausted`. Short: a busy
    /// service answers at once (clients back off and retry) instead of holding every call
    /// for seconds, which under overload only grows the queue (issue 16).
    public var acquireTimeout: Duration = .milliseconds(500)
    /// How many callers may wait for a connection at once; the next one gets `poolExhausted`
    /// without waiting. Bounds the memory and the latency of the queue.
    public var maxWaiters: Int = 64
    /// Limit on establishing one connection (TCP + auth).
    public var connectTimeout: Duration = .seconds(5)
    /// Deadline used when a caller passes none.
    public var defaultTimeout: Duration = .seconds(30)
    /// The server ends sessions that sit idle inside a transaction this long, so a stuck
    /// client can never hold locks indefinitely.
    public var idleInTransactionSessionTimeout: Duration = .seconds(60)
    /// Idle connections are checked (without a round trip) this often, so a dead one is
    /// replaced before a caller trips over it.
    public var healthCheckInterval: Duration = .seconds(5)
    /// Named prepared statements kept per connection.
    public var statementCacheCapacity: Int = 256
    /// Attempts for a transaction that hits a serialization failure or deadlock.
    public var transactionMaxAttempts: Int = 5
    /// After a failed connect, further connects fail fast for this long (doubling per
    /// consecutive failure up to `maxReconnectBackoff`), so an outage costs callers nothing.
    public var reconnectBackoff: Duration = .milliseconds(50)
    public var maxReconnectBackoff: Duration = .seconds(1)
    /// Reported in pg_stat_activity unless the connection string sets application_name.
    public var applicationName: String = "xsc"

    public init(connectionString: String) {
        self.connectionString = connectionString
    }

    /// libpq parameters: the connection string first (expanded by libpq), then session
    /// settings appended to any `options` it already carries.
    func connectionParameters() throws(PostgresError) -> [(String, String)] {
        let existingOptions = try ConnInfo.parse(connectionString).first { $0.0 == "options" }?.1 ?? ""
        let sessionOptions = [
            "-c idle_in_transaction_session_timeout=\(Self.millis(idleInTransactionSessionTimeout))",
            "-c TimeZone=UTC",
        ].joined(separator: " ")
        let connectSeconds = max(2, Int((Self.millis(connectTimeout) + 999) / 1000))
        return [
            ("dbname", connectionString),
            ("fallback_application_name", applicationName),
            ("connect_timeout", String(connectSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("options", existingOptions.isEmpty ? sessionOptions : existingOptions + " " + sessionOptions),
        ]
    }

    static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
