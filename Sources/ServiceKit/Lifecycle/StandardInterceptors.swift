import RPC

/// The interceptors every XSC service installs, in the order that keeps the numbers honest:
/// the trace first (every other line of the call carries it), access log and metrics next, so calls the actor verifier refuses are still logged and
/// counted (as UNAUTHENTICATED), and the verifier last, right before the handler.
///
/// A service's main.swift, put together:
///
///     let config = ServiceStartup.loadConfigOrExit(service: "orders", peers: ["customers"])
///     let logger = Logger(service: config.service, level: config.logLevel)
///     let metrics = MetricsRegistry()
///     var rpc = RPCServer.Configuration(host: config.listen.host, port: config.listen.port)
///     rpc.interceptors = StandardInterceptors.make(config: config, logger: logger, metrics: metrics)
///     let server = RPCServer(configuration: rpc, services: [OrdersHandler(...)])
///     let runner = ServiceRunner(server: server,
///                                admin: AdminListener.Configuration(host: config.adminListen.host,
///                                                                   port: config.adminListen.port),
///                                metrics: metrics, logger: logger, workers: [relay], isReady: { pool.isHealthy })
///     try runner.run()
public enum StandardInterceptors {
    public static func make(config: ServiceConfig, logger: Logger, metrics: MetricsRegistry,
                            exemptMethods: Set<String> = [], tracing: TraceInterceptor = TraceInterceptor()) -> [any ServerInterceptor] {
        [
            tracing,
            AccessLogInterceptor(logger: logger),
            RPCMetricsInterceptor(registry: metrics),
            ActorVerifier(secret: config.actorSecret, audience: config.service, exemptMethods: exemptMethods),
        ]
    }
}
