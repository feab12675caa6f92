/// A service's settings, read once at start from the environment variables every XSC service
/// shares (ARCHITECTURE.md, "Config"). Nothing else reads the environment.
public struct ServiceConfig: Sendable, Equatable {
    public var service: String
    /// XSC_LISTEN: where the gRPC server binds.
    public var listen: HostPort
    /// XSC_ADMIN_LISTEN: the HTTP/1.1 listener of /metrics, /healthz, /readyz.
    public var adminListen: HostPort
    /// DATABASE_URL, a libpq URI or keyword/value string; nil only when not required.
    public var databaseURL: String?
    /// XSC_<PEER>_ADDR per peer, keyed by the peer's name as the service asked for it.
    public var peers: [String: HostPort]
    /// XSC_ACTOR_SECRET: the HMAC key of the signed actor context.
    public var actorSecret: ActorSecret
    /// LOG_LEVEL: debug, info (default), warning or error.
    public var logLevel: LogLevel
    /// XSC_ORG_TIMEZONE: the IANA zone business weeks are counted in.
    public var organizationTimeZone: String
    /// XSC_DB_POOL_SIZE: how many database connections the service's pool may open (default 10).
    /// A call holds one for its round trips, so this bounds the calls in the database at once.
    public var databasePoolSize: Int = ServiceConfig.defaultDatabasePoolSize
    /// XSC_CLAIM_LEASE_MS: how long work a process has claimed (outbox deliveries, SMS sends)
    /// stays reserved for it. When the process dies mid-delivery, that work waits this long
    /// before another replica, or the restarted process, takes it again: shorter means faster
    /// recovery, but it must stay longer than one delivery takes, or a slow delivery is
    /// repeated (receivers dedupe; it costs a second call, never a second effect).
    public var claimLease: Duration = ServiceConfig.defaultClaimLease
    /// XSC_OUTBOX_HANDOFF (on/off): whether the outbox relay delivers rows committed by this
    /// process at once, handed over in process, instead of claiming them from the table
    /// (OutboxRelay.Configuration.handOff). Every replica of a service must agree on it.
    public var outboxHandOff: Bool = ServiceConfig.defaultOutboxHandOff
    /// XSC_MAX_CONNECTIONS, XSC_MAX_CALLS_IN_FLIGHT, XSC_DB_MAX_WAITERS, ...: the process's
    /// admission limits (AdmissionSettings).
    public var admission = AdmissionSettings()
    /// Span export (XSC_OTLP_ENDPOINT); off by default.
    public var tracing = TracingSettings()
    /// XSC_TLS_*: TLS at this service's listener (TLSSettings); off by default.
    public var tls = TLSSettings()

    public static let defaultDatabasePoolSize = 10
    public static let defaultClaimLease: Duration = .seconds(60)
    public static let defaultOutboxHandOff = false
    /// Bounds of XSC_CLAIM_LEASE_MS: a second (deliveries get half the lease) to an hour.
    public static let claimLeaseRange: ClosedRange<Int64> = 1_000...3_600_000

    public static let defaultTimeZone = "Asia/Shanghai"

    /// Reads and checks every variable, and throws one `ServiceConfigError` listing every
    /// problem found. `peers` are service names ("orders"); each needs XSC_<PEER>_ADDR unless
    /// it is in the port table, where it defaults to 127.0.0.1 and its table port.
    public static func load(service: String, peers: [String] = [], environment: [String: String],
                            requiresDatabase: Bool = true) throws(ServiceConfigError) -> ServiceConfig {
        var reader = EnvironmentReader(environment: environment)
        let listen = reader.listenAddress("XSC_LISTEN", default: ServicePorts.rpcPort(of: service).map {
            HostPort(host: "0.0.0.0", port: $0)
        })
        let admin = reader.listenAddress("XSC_ADMIN_LISTEN", default: ServicePorts.adminPort(of: service).map {
            HostPort(host: "0.0.0.0", port: $0)
        })
        let database = reader.databaseURL(required: requiresDatabase)
        var peerAddresses: [String: HostPort] = [:]
        for peer in peers {
            let fallback = ServicePorts.rpcPort(of: peer).map { HostPort(host: "127.0.0.1", port: $0) }
            if let address = reader.address(peerVariable(peer), default: fallback) {
                peerAddresses[peer] = address
            }
        }
        let secret = reader.actorSecret()
        let level = reader.logLevel()
        let zone = reader.timeZone()
        let poolSize = reader.databasePoolSize()
        let lease = reader.claimLease()
        let handOff = reader.outboxHandOff()
        let admission = reader.admission()
        let tracing = reader.tracing()
        let tls = reader.tls()
        if let listen, let admin, listen.port == admin.port, listen.port != 0 {
            reader.problems.append("XSC_LISTEN and XSC_ADMIN_LISTEN both use port \(listen.port); they must differ")
        }
        if tls.isEnabled, tls.listen.port != 0, [listen?.port, admin?.port].contains(tls.listen.port) {
            reader.problems.append("XSC_TLS_LISTEN uses port \(tls.listen.port), already XSC_LISTEN's or XSC_ADMIN_LISTEN's")
        }
        guard reader.problems.isEmpty, let listen, let admin, let secret else {
            throw ServiceConfigError(service: service, problems: reader.problems)
        }
        return ServiceConfig(service: service, listen: listen, adminListen: admin, databaseURL: database,
                             peers: peerAddresses, actorSecret: secret, logLevel: level,
                             organizationTimeZone: zone, databasePoolSize: poolSize, claimLease: lease,
                             outboxHandOff: handOff, admission: admission, tracing: tracing, tls: tls)
    }

    /// The time limit of one delivery of claimed work (an outbox call to a peer): 10 s, or half
    /// the claim lease when that is shorter, so a delivery always ends inside its lease.
    public var deliveryCallTimeout: Duration { min(.seconds(10), claimLease / 2) }

    /// `XSC_<PEER>_ADDR`, with the name upper-cased and dashes turned into underscores.
    public static func peerVariable(_ peer: String) -> String {
        "XSC_" + peer.uppercased().replacingDashes + "_ADDR"
    }
}

extension String {
    var replacingDashes: String { String(map { $0 == "-" ? "_" : $0 }) }
}
