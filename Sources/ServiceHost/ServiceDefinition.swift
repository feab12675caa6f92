import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Everything that differs between two XSC service processes: the name (which fixes ports,
/// schema and migrations folder), the peers it calls, and what it serves and runs beside the
/// server. `ServiceHost` supplies the rest (config, logs, metrics, pool, migrations, admin
/// listener, ordered shutdown), so a service's `main.swift` is one call.
public struct ServiceDefinition: Sendable {
    /// The service's name in ServicePorts ("orders"); also its schema and database role.
    public var name: String
    /// Services this one calls; each gets an `XSC_<PEER>_ADDR` (defaulting to the port table).
    public var peers: [String]
    /// Full method paths callable without a signed actor (health and reflection always are).
    public var exemptMethods: Set<String>
    /// The RPC services of the process, built once the database is migrated.
    public var providers: @Sendable (HostedService) throws -> [any RPCServiceProvider]
    /// Work run beside the server and stopped after it drained: this is where a service
    /// registers ServiceKitStore's `OutboxRelay` (with its deliverer) and `TimerWorker` (with
    /// its timer handlers), built from `HostedService.pool`, reporting through
    /// `HostedService.workerErrorReporter`. The host itself adds the database readiness probe
    /// and the platform tables' `RetentionSweeper`.
    public var workers: @Sendable (HostedService) throws -> [any BackgroundWorker]
    /// Replaces the actor verifier (the gateway authenticates callers itself): interceptors run
    /// after the access log and metrics. nil keeps the standard verifier.
    public var authenticationInterceptors: (@Sendable (HostedService) throws -> [any ServerInterceptor])?
    /// Answers paths no provider has (the gateway's proxy routing).
    public var fallback: (@Sendable (HostedService) throws -> @Sendable (String) -> RPCMethod?)?
    /// Services reflection lists beside the providers' (those reached through `fallback`).
    public var reflectedServiceNames: [String] = []
    /// Answers HTTP/2 requests on the RPC port whose content-type is not gRPC (the gateway's
    /// partner JSON API); nil refuses them with 415.
    public var plainHTTP: (@Sendable (HostedService) throws -> PlainHTTPHandler)?
    public var plainHTTPLimits = PlainHTTPLimits()
    /// Takes the TLS listener's HTTP/1.1 connections (the gateway's public HTTP listener);
    /// with it the TLS listener offers ALPN `http/1.1` after `h2`. nil: TLS serves HTTP/2 only.
    public var tlsHTTP1: (@Sendable (HostedService) throws -> TLSHTTP1Handoff)?
    /// Called once the RPC server exists, before anything starts (e.g. to hand its health store
    /// to a worker that reports the health of peers).
    public var serverCreated: (@Sendable (RPCServer, HostedService) -> Void)?
    /// Runs once the database is migrated and before the server listens: set-up that callers
    /// may rely on as soon as the service answers (the gateway's first-run hq_admin, so that a
    /// script logging in right after health says SERVING never races it). A throw stops the start.
    public var beforeServing: (@Sendable (HostedService) async throws -> Void)?
    /// Problems of the service's own settings (read from the environment by the service
    /// before it made this definition): reported with the host's configuration problems, all
    /// at once, and the process exits 2 without starting.
    public var settingsProblems: [String] = []

    public init(name: String, peers: [String] = [], exemptMethods: Set<String> = [],
                providers: @escaping @Sendable (HostedService) throws -> [any RPCServiceProvider] = { _ in [] },
                workers: @escaping @Sendable (HostedService) throws -> [any BackgroundWorker] = { _ in [] }) {
        self.name = name
        self.peers = peers
        self.exemptMethods = exemptMethods
        self.providers = providers
        self.workers = workers
    }
}

/// What a service's handlers and workers are built from: the process's shared resources,
/// made once by `ServiceHost` (no globals).
public struct HostedService: Sendable {
    public let config: ServiceConfig
    public let logger: Logger
    public let metrics: MetricsRegistry
    /// The service's pool, connected as its own role (search_path = its schema), migrated.
    public let pool: PostgresPool

    public init(config: ServiceConfig, logger: Logger, metrics: MetricsRegistry, pool: PostgresPool) {
        self.config = config
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
    }

    /// ServiceKitStore workers report failed rounds here: one JSON log line through the
    /// service's logger (instead of the store's bare stderr default).
    public var workerErrorReporter: WorkerErrorReporter {
        let logger = self.logger
        return { worker, error in
            logger.error("background work failed", ["worker": .string(worker), "error": .string(String(describing: error))])
        }
    }
}
