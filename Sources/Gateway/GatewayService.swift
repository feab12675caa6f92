import Messages
import Postgres
import RPC
import ServiceHost
import ServiceKit
import Synchronization

/// What xsc-gateway runs: its own four services (org, accounts, auth, partner keys), the proxy
/// that forwards every other call to the service owning its proto package, the backend health
/// probe and the directory feed (`definition`); `GatewayAssembly` puts the parts together.
public enum GatewayService {
    public static let peers = ["orders", "customers", "proposals", "notifications", "settlements", "campaigns"]

    /// The whole gateway for `ServiceHost.run`, from the environment's gateway settings (their
    /// problems are reported with the host's, exit 2).
    public static func definition(environment: [String: String]) -> ServiceDefinition {
        let (settings, problems) = GatewaySettings.load(environment)
        let box = AssemblyBox(settings: settings)
        var definition = ServiceDefinition(
            name: "gateway", peers: peers,
            providers: { hosted in box.get(hosted).providers },
            workers: { hosted in
                let assembly = box.get(hosted)
                return [assembly.healthProbe]
                    // The account directory feed (outbox relay + start-up backfill).
                    + DirectoryFeedWorkers.make(pool: hosted.pool, config: hosted.config, logger: hosted.logger,
                                                reportError: hosted.workerErrorReporter)
                    + (settings.httpListen != nil || hosted.config.tls.isEnabled ? [box.publicHTTP(hosted)] : [])
            })
        definition.settingsProblems = problems
        definition.beforeServing = { hosted in
            try await FirstRun(core: box.get(hosted).core, adminPhone: settings.adminPhone, adminPassword: settings.adminPassword)
                .ensure()
        }
        definition.serverCreated = { server, hosted in box.get(hosted).healthProbe.attach(server.health) }
        // The gateway authenticates callers itself (FrontDoor, inside each handler and the
        // router): no actor verifier, since callers here hold credentials, not signed actors.
        definition.authenticationInterceptors = { _ in [] }
        definition.fallback = { hosted in
            let router = box.get(hosted).router
            return { path in router.method(for: path) }
        }
        definition.reflectedServiceNames = GatewayAssembly.reflectedServiceNames(settings: settings)
        // The partner HTTP/JSON API: HTTP/2 on the gRPC port (non-gRPC content types), HTTP/1.1
        // on its own listener (XSC_HTTP_LISTEN).
        definition.plainHTTP = { hosted in box.get(hosted).partnerHTTP.handler }
        definition.plainHTTPLimits.maxBodyBytes = settings.httpMaxBodyBytes
        // HTTP/1.1 over TLS: the TLS listener hands `http/1.1` connections to the same HTTP/1.1
        // listener, whose limits they share.
        definition.tlsHTTP1 = { hosted in
            let listener = box.publicHTTP(hosted)
            return { connection in listener.adopt(connection) }
        }
        return definition
    }
}

/// Built once per process: providers, fallback and workers all need the same core.
final class AssemblyBox: Sendable {
    private let settings: GatewaySettings
    private let assembly = Mutex<GatewayAssembly?>(nil)
    private let listener = Mutex<PublicHTTPListener?>(nil)

    init(settings: GatewaySettings) {
        self.settings = settings
    }

    func get(_ hosted: HostedService) -> GatewayAssembly {
        assembly.withLock { assembly in
            if let assembly { return assembly }
            let made = GatewayAssembly(pool: hosted.pool, config: hosted.config, logger: hosted.logger, settings: settings)
            assembly = made
            return made
        }
    }

    /// The one HTTP/1.1 listener: a worker, and where the TLS listener hands its `http/1.1` connections.
    func publicHTTP(_ hosted: HostedService) -> PublicHTTPListener {
        let assembly = get(hosted)
        return listener.withLock { listener in
            if let listener { return listener }
            let made = assembly.publicHTTPListener(settings: settings, admission: hosted.config.admission)
            made.registerMetrics(in: hosted.metrics)
            listener = made
            return made
        }
    }
}

/// Puts the gateway together from its configuration: the handlers of its own four services and
/// the routes to every backend, keyed by proto package.
public struct GatewayAssembly: Sendable {
    /// Backend name (ServiceConfig peer) -> the proto package it serves.
    public static let backendPackages: [String: String] = [
        "orders": "xsc.orders.v1", "customers": "xsc.customers.v1", "proposals": "xsc.proposals.v1",
        "notifications": "xsc.notifications.v1", "settlements": "xsc.settlements.v1", "campaigns": "xsc.campaigns.v1",
    ]

    public let core: GatewayCore
    public let router: BackendRouter
    /// Backend health, mirrored into the gateway's health service.
    public let healthProbe: BackendHealthProbe
    /// The partner HTTP/JSON API and the SMS vendors' callbacks.
    public let partnerHTTP: PartnerHTTPHandler

    /// The whole gateway from the process's shared resources and its settings.
    public init(pool: PostgresPool, config: ServiceConfig, logger: Logger, settings: GatewaySettings) {
        let core = GatewayCore(pool: pool, hasher: PasswordHasher(cost: settings.passwordCost),
                               buckets: TokenBuckets(limits: settings.replicaLimits),
                               signer: ActorSigner(secret: config.actorSecret),
                               sessionTTL: settings.sessionTTL, actorLifetime: settings.actorLifetime,
                               credentialCacheLifetime: settings.credentialCacheLifetime,
                               loginLimits: settings.loginLimits, logger: logger,
                               hashing: HashingPool(workers: settings.passwordHashWorkers, maxQueued: settings.passwordHashQueue))
        self.init(core: core, peers: config.peers, settings: settings)
    }

    public init(core: GatewayCore, peers: [String: HostPort], settings: GatewaySettings) {
        self.core = core
        var backends: [String: BackendRouter.Backend] = [:]
        for (name, address) in peers {
            guard let package = Self.backendPackages[name] else { continue }
            backends[package] = BackendRouter.Backend(name: name, host: address.host, port: address.port)
        }
        if let interop = settings.interopAddress {
            backends["grpc.testing"] = BackendRouter.Backend(name: "interop", host: interop.host, port: interop.port)
        }
        if let bench = settings.benchAddress {
            backends["bench.v1"] = BackendRouter.Backend(name: "bench", host: bench.host, port: bench.port)
        }
        router = BackendRouter(backends: backends, door: core.door)
        healthProbe = BackendHealthProbe(router: router)
        partnerHTTP = PartnerHTTPHandler(door: core.door, router: router, logger: core.logger,
                                        feedHeartbeat: settings.feedHeartbeat,
                                        staff: StaffHTTPHandler(core: core, feedHeartbeat: settings.feedHeartbeat),
                                        web: StaffWebPages())
    }

    /// The HTTP/1.1 listener of the partner API: its plain port (XSC_HTTP_LISTEN; none when off)
    /// and the TLS listener's `http/1.1` connections.
    func publicHTTPListener(settings: GatewaySettings, admission: AdmissionSettings) -> PublicHTTPListener {
        let address = settings.httpListen ?? HostPort(host: "0.0.0.0", port: 0)
        var configuration = PublicHTTPListener.Configuration(host: address.host, port: address.port)
        // The same per-address connection rate as the gRPC port (XSC_PEER_CONNECT_BURST/_RATE).
        configuration.peerRates.burst = admission.peerConnectBurst
        configuration.peerRates.perSecond = admission.peerConnectRate
        configuration.maxBodyBytes = settings.httpMaxBodyBytes
        configuration.listensPlain = settings.httpListen != nil
        return PublicHTTPListener(configuration: configuration, handler: partnerHTTP.handler)
    }

    public var providers: [any RPCServiceProvider] {
        [OrgHandler(core: core), AccountHandler(core: core), AuthHandler(core: core), PartnerKeyHandler(core: core)]
    }

    /// Every service of the routed packages, for reflection (all embedded descriptors), so
    /// one grpcurl at the gateway sees the whole system.
    public static func reflectedServiceNames(settings: GatewaySettings) -> [String] {
        var packages = Set(backendPackages.values)
        if settings.interopAddress != nil { packages.insert("grpc.testing") }
        if settings.benchAddress != nil { packages.insert("bench.v1") }
        return XSCProtoDescriptors.files.filter { packages.contains($0.package) }.flatMap(\.services).sorted()
    }
}
