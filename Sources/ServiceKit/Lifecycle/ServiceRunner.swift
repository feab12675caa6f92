import NetIO
import RPC

/// Runs one service process: the admin listener, the RPC server and the background workers,
/// started in that order, and stopped on SIGTERM/SIGINT in the order that loses no work:
///
/// 1. /readyz answers 503, so load balancers stop sending new work (optionally wait
///    `Options.drainDelay` for them to notice);
/// 2. gRPC health turns NOT_SERVING for every service;
/// 3. the RPC server drains: GOAWAY in two phases, in-flight calls get the grace period;
/// 4. background workers stop, in reverse start order (calls finished in step 3 may have left
///    them work);
/// 5. the admin listener stops last, so /healthz and /metrics answer until the very end.
///
/// Everything here runs on the thread that calls it (normally the main thread), never on an
/// event loop.
public final class ServiceRunner: @unchecked Sendable {
    public struct Options: Sendable {
        /// Time between readiness turning false and the RPC server draining.
        public var drainDelay: Duration = .zero
        /// How long all workers together may take to stop before the process goes on exiting.
        public var workerStopTimeout: Duration = .seconds(10)
        /// Run on SIGHUP, in order, on the thread in `run()` (the operator's reload: the TLS
        /// certificate). SIGHUP no longer ends the process; with nothing here it is only logged.
        public var onHangup: [@Sendable () -> Void] = []

        public init() {}
    }

    public let server: RPCServer
    public let admin: AdminListener
    private let workers: [any BackgroundWorker]
    private let logger: Logger
    private let options: Options
    private let state: ServiceLifecycleState
    private let serviceIsReady: @Sendable () -> Bool
    private var startedWorkers: [any BackgroundWorker] = []

    /// `isReady` is the service's own readiness (database reachable, migrations applied); it
    /// runs on the admin thread for every /readyz, so it must only read a cached flag.
    public init(server: RPCServer, admin: AdminListener.Configuration, metrics: MetricsRegistry, logger: Logger,
                workers: [any BackgroundWorker] = [], isReady: @escaping @Sendable () -> Bool = { true },
                options: Options = Options()) {
        let state = ServiceLifecycleState()
        self.server = server
        self.workers = workers
        self.logger = logger
        self.options = options
        self.state = state
        self.serviceIsReady = isReady
        self.admin = AdminListener(configuration: admin, metrics: metrics, isReady: {
            state.current == .serving && isReady()
        })
    }

    /// True while serving and the service says it is ready: what /readyz answers.
    public var isReady: Bool { state.current == .serving && serviceIsReady() }

    /// Starts everything, waits for SIGTERM or SIGINT (running the reload hooks on each SIGHUP),
    /// then shuts down in order.
    public func run() throws {
        try start()
        let signal = TerminationSignals.wait { [options, logger] in
            logger.info(options.onHangup.isEmpty ? "SIGHUP received: nothing to reload" : "SIGHUP received: reloading")
            for reload in options.onHangup { reload() }
        }
        logger.info("termination signal received", ["signal": .int(Int64(signal))])
        shutdown()
    }

    /// Starts the admin listener, the RPC server and the workers. On failure, stops what had
    /// started and rethrows.
    public func start() throws {
        guard state.advance(from: .idle, to: .starting) else { return }
        // Before any thread exists, so every thread inherits the mask and the signal reaches
        // only the thread in `run()`.
        TerminationSignals.block(includingHangup: true)
        do {
            try admin.start()
            try server.start()
            for worker in workers {
                try worker.start()
                startedWorkers.append(worker)
            }
        } catch {
            logger.error("start failed", ["error": .string(String(describing: error))])
            state.set(.stopping)
            server.shutdown()
            stopWorkers()
            admin.stop()
            state.set(.stopped)
            throw error
        }
        state.set(.serving)
        logger.info("serving", ["rpc_port": .int(Int64(server.port)), "admin_port": .int(Int64(admin.port)),
                                "workers": .int(Int64(startedWorkers.count))])
    }

    /// The ordered shutdown; a second call (or a call before start) does nothing.
    public func shutdown() {
        guard state.advance(from: .serving, to: .stopping) else { return }
        logger.info("shutting down: readiness off")
        if options.drainDelay > .zero {
            sleepMilliseconds(Int(options.drainDelay.wholeMilliseconds))
        }
        server.health.markAllNotServing()
        logger.info("shutting down: health NOT_SERVING, draining RPC server")
        server.shutdown()
        logger.info("shutting down: RPC server stopped, stopping workers")
        stopWorkers()
        admin.stop()
        state.set(.stopped)
        logger.info("stopped")
    }

    private func stopWorkers() {
        let toStop = Array(startedWorkers.reversed())
        startedWorkers.removeAll()
        guard !toStop.isEmpty else { return }
        let done = CompletionFlag()
        Task {
            for worker in toStop { await worker.stop() }
            done.set()
        }
        if !done.wait(timeout: options.workerStopTimeout) {
            logger.warning("background workers did not stop in time", ["workers": .string(toStop.map(\.name).joined(separator: ","))])
        }
    }
}
