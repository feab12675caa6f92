import RPC

/// Per-method RPC metrics: calls by status code, latency, calls in flight. Labels are the
/// method path (bounded: only routed methods reach interceptors) and the status name.
public struct RPCMetricsInterceptor: ServerInterceptor {
    /// Seconds; from 1 ms (an in-memory answer) to 10 s (beyond any sane deadline).
    public static let defaultLatencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Marks calls counted in flight: when an interceptor before this one refuses a call, this
    /// one's `callStarted` never ran but `callFinished` still does, and must not decrement.
    private enum CountedInFlight: ServerContextKey { typealias Value = Bool }

    private let calls: MetricFamily<Counter>
    private let latency: MetricFamily<Histogram>
    private let inFlight: MetricFamily<Gauge>

    public init(registry: MetricsRegistry, latencyBuckets: [Double] = RPCMetricsInterceptor.defaultLatencyBuckets) {
        calls = registry.counter("xsc_rpc_server_calls_total", help: "RPC calls finished, by method and status code.",
                                 labels: ["method", "code"])
        latency = registry.histogram("xsc_rpc_server_call_duration_seconds",
                                     help: "RPC call duration from arrival to status, by method.",
                                     labels: ["method"], buckets: latencyBuckets)
        inFlight = registry.gauge("xsc_rpc_server_calls_in_flight", help: "RPC calls started and not yet finished.",
                                  labels: ["method"])
    }

    public func callStarted(_ context: ServerContext) throws {
        inFlight.labels(context.path).increment()
        context[CountedInFlight.self] = true
    }

    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {
        if context[CountedInFlight.self] == true {
            inFlight.labels(context.path).decrement()
        }
        calls.labels(context.path, status.description).increment()
        latency.labels(context.path).observe(duration)
    }
}
