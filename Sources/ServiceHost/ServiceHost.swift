import Glibc
import Postgres
import RPC
import ServiceKit
import ServiceKitStore
import TLS

/// Turns a `ServiceDefinition` into a running process. A service's whole `main.swift`:
///
///     import ServiceHost
///     ServiceHost.run(ServiceDefinition(name: "orders", peers: ["customers"]) { hosted in
///         [OrdersHandler(pool: hosted.pool, logger: hosted.logger)]
///     })
///
/// Start-up, in order: configuration (every problem at once, exit 2), the database pool as the
/// service's own role, migrations (waiting for the database up to `Options.databaseWaitLimit`):
/// ServiceKitStore's platform tables (outbox, timers, idempotency keys, processed events), then
/// `services/<name>/migrations`; the handlers and workers, then ServiceRunner (admin listener,
/// RPC server with health + reflection + the standard interceptors, workers) until
/// SIGTERM/SIGINT. Every service also runs the platform tables' RetentionSweeper.
public enum ServiceHost {
    public struct Options: Sendable {
        /// How long start-up keeps retrying while the database is unreachable (it may be
        /// starting beside us, as in docker compose or after a host reboot).
        public var databaseWaitLimit: Duration = .seconds(60)
        /// Overrides the configuration's XSC_DB_POOL_SIZE (tests); nil uses it.
        public var maxDatabaseConnections: Int?
        public var eventLoops = 1
        public var runner = ServiceRunner.Options()

        public init() {}
    }

    /// For `main.swift`: runs the service until it is told to stop, then exits the process
    /// (0 after a graceful shutdown, 1 when start-up failed, 2 for a bad environment).
    public static func run(_ definition: ServiceDefinition, options: Options = Options()) -> Never {
        OpenSSLProcess.keepStateUntilExit()
        let settings: HostStartup.Settings
        switch HostStartup.decide(definition, arguments: CommandLine.arguments, environment: ProcessEnvironment.current()) {
        case .run(let decided):
            settings = decided
        case .exit(let status, let standardOutput, let standardError):
            fputs(standardOutput, stdout)
            fputs(standardError, stderr)
            exit(status)
        }
        let logger = Logger(service: settings.config.service, level: settings.config.logLevel)
        do {
            let process = try BlockingWait.run {
                try await prepare(definition, config: settings.config, migrationsDirectory: settings.migrationsDirectory,
                                  logger: logger, options: options)
            }
            try process.run()
            exit(0)
        } catch {
            logger.error("start-up failed", ["error": .string(String(describing: error))])
            exit(1)
        }
    }

    /// Everything `run` does short of starting: the pool is open and migrated, the handlers and
    /// workers are built. Tests drive the result with `start()`/`shutdown()`.
    public static func prepare(_ definition: ServiceDefinition, config: ServiceConfig, migrationsDirectory: String,
                               logger: Logger, options: Options = Options()) async throws -> HostedProcess {
        guard let databaseURL = config.databaseURL else {
            throw HostError.databaseURLMissing
        }
        let migrator = try PlatformMigrations.migrator(schema: definition.name, directory: migrationsDirectory)
        var poolConfiguration = PostgresConfiguration(connectionString: databaseURL)
        poolConfiguration.maxConnections = options.maxDatabaseConnections ?? config.databasePoolSize
        poolConfiguration.maxWaiters = config.admission.databaseMaxWaiters
        poolConfiguration.acquireTimeout = config.admission.databaseAcquireTimeout
        poolConfiguration.applicationName = "xsc-\(definition.name)"
        let pool = try PostgresPool(configuration: poolConfiguration)
        do {
            let applied = try await DatabaseWait.migrate(migrator, pool: pool, logger: logger,
                                                         limit: options.databaseWaitLimit)
            logger.info("migrations up to date", ["schema": .string(definition.name),
                                                   "applied_now": .string(applied.map(String.init).joined(separator: ",")),
                                                   "known": .int(Int64(migrator.migrations.count))])

            let metrics = MetricsRegistry()
            PoolMetrics.register(pool, in: metrics)
            ProcessMetrics.register(in: metrics)
            let hosted = HostedService(config: config, logger: logger, metrics: metrics, pool: pool)
            try await definition.beforeServing?(hosted)
            let readiness = DatabaseReadiness(pool: pool, logger: logger)
            var sweeping = RetentionSweeper.Configuration()
            sweeping.reportError = hosted.workerErrorReporter
            let monitor = OutboxMonitor(pool: pool, metrics: metrics, reportError: hosted.workerErrorReporter)
            let platformWorkers: [any BackgroundWorker] = [readiness, RetentionSweeper(pool: pool, configuration: sweeping), monitor]
            let exporter = config.tracing.otlpEndpoint.map {
                OTLPExporter(endpoint: $0, service: config.service, logger: logger)
            }
            let tracing = TraceInterceptor(exporter: exporter)
            let workers = platformWorkers + (try definition.workers(hosted)) + (exporter.map { [$0] } ?? [])

            var rpc = RPCServer.Configuration(host: config.listen.host, port: config.listen.port,
                                              eventLoops: options.eventLoops)
            rpc.maxConnections = config.admission.maxConnections
            rpc.maxConnectionsPerPeer = config.admission.maxConnectionsPerPeer
            rpc.maxCallsInFlight = config.admission.maxCallsInFlight
            rpc.maxUnaryCallsInFlight = config.admission.unaryCallLimit(databasePoolSize: poolConfiguration.maxConnections,
                                                                        proxies: definition.fallback != nil)
            rpc.busyRetryAfter = config.admission.busyRetryAfter
            rpc.peerConnectBurst = config.admission.peerConnectBurst
            rpc.peerConnectRate = config.admission.peerConnectRate
            rpc.peerCoolDown = config.admission.peerCoolDown
            rpc.peerKernelDrop = config.admission.peerKernelDrop
            rpc.tlsHTTP1 = try definition.tlsHTTP1?(hosted)
            rpc.tls = try HostTLS.endpoint(config.tls, offersHTTP1: rpc.tlsHTTP1 != nil, logger: logger)
            if let authentication = definition.authenticationInterceptors {
                rpc.interceptors = [tracing, AccessLogInterceptor(logger: logger), RPCMetricsInterceptor(registry: metrics)]
                    + (try authentication(hosted))
            } else {
                rpc.interceptors = StandardInterceptors.make(config: config, logger: logger, metrics: metrics,
                                                             exemptMethods: definition.exemptMethods, tracing: tracing)
            }
            rpc.fallback = try definition.fallback?(hosted)
            rpc.reflectedServiceNames = definition.reflectedServiceNames
            rpc.plainHTTP = try definition.plainHTTP?(hosted)
            rpc.plainHTTPLimits = definition.plainHTTPLimits
            let server = RPCServer(configuration: rpc, services: try definition.providers(hosted))
            ServerMetrics.register(server, in: metrics)
            definition.serverCreated?(server, hosted)
            let admin = AdminListener.Configuration(host: config.adminListen.host, port: config.adminListen.port)
            var runnerOptions = options.runner
            if let identity = rpc.tls?.identity {
                // SIGHUP: the certificate, key and client CA again, whatever their files' stamps say.
                runnerOptions.onHangup.append { identity.reloadNow() }
            }
            let runner = ServiceRunner(server: server, admin: admin, metrics: metrics, logger: logger, workers: workers,
                                       isReady: { readiness.isReachable }, options: runnerOptions)
            return HostedProcess(runner: runner, hosted: hosted)
        } catch {
            pool.close()
            throw error
        }
    }
}

/// A prepared service process: `run()` for the real thing, `start()`/`shutdown()` for tests.
public final class HostedProcess: Sendable {
    public let runner: ServiceRunner
    public let hosted: HostedService

    init(runner: ServiceRunner, hosted: HostedService) {
        self.runner = runner
        self.hosted = hosted
    }

    public var rpcPort: Int { runner.server.port }
    public var adminPort: Int { runner.admin.port }

    /// Serves until SIGTERM/SIGINT, shuts down in order, closes the pool last (workers may
    /// still have written during the drain).
    public func run() throws {
        defer { hosted.pool.close() }
        try runner.run()
    }

    public func start() throws {
        do { try runner.start() } catch {
            hosted.pool.close()
            throw error
        }
    }

    public func shutdown() {
        runner.shutdown()
        hosted.pool.close()
    }
}

public enum HostError: Error, Equatable, CustomStringConvertible {
    case databaseURLMissing

    public var description: String {
        switch self {
        case .databaseURLMissing: return "DATABASE_URL is required by the service host"
        }
    }
}
