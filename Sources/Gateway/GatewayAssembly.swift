import Messages
import Postgres
import RPC
import ServiceKit

/// Puts the gateway together from its configuration: the handlers of its own four services and
/// the routes to every backend, keyed by proto package.
public struct GatewayAssembly: Sendable {
    /// Backend name (ServiceConfig peer) -> the proto package it serves.
    public static let backendPackages: [String: String] = [
        "orders": "xsc.orders.v1", "customers": "xsc.customers.v1", "proposals": "xsc.proposals.v1",
        "notifications": "xsc.notifications.v1", "settlements": "xsc.settlements.v1",
    ]

    public let core: GatewayCore
    public let router: BackendRouter
    /// Backend health, mirrored into the gateway's health service.
    public let healthProbe: BackendHealthProbe

    /// The whole gateway from the process's shared resources and its settings.
    public init(pool: PostgresPool, config: ServiceConfig, logger: Logger, settings: GatewaySettings) {
        let core = GatewayCore(pool: pool, hasher: PasswordHasher(cost: settings.passwordCost),
                               buckets: TokenBuckets(limits: settings.replicaLimits),
                               signer: ActorSigner(secret: config.actorSecret),
                               sessionTTL: settings.sessionTTL, actorLifetime: settings.actorLifetime,
                               credentialCacheLifetime: settings.credentialCacheLifetime,
                               loginLimits: settings.loginLimits, logger: logger)
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
