import RPC
import Synchronization

/// Per-method RPC metrics: calls by status code, latency, calls in flight. Labels are the
/// method path (bounded: only routed methods reach interceptors) and the status name.
public struct RPCMetricsInterceptor: ServerInterceptor {
    /// Seconds; from 1 ms (an in-memory answer) to 10 s (beyond any sane deadline).
    public static let defaultLatencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// The series of the call's method, set when it was counted in flight: when an interceptor
    /// before this one refuses a call, this one's `callStarted` never ran but `callFinished`
    /// still does, and must not decrement.
    private enum CountedInFlight: ServerContextKey { typealias Value = MethodSeries }

    private let calls: MetricFamily<Counter>
    private let latency: MetricFamily<Histogram>
    private let inFlight: MetricFamily<Gauge>
    private let byMethod = MethodSeriesCache()

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
        let series = byMethod.series(for: context.path) { path in
            MethodSeries(inFlight: inFlight.labels(path), latency: latency.labels(path),
                         ok: calls.labels(path, StatusCode.ok.description))
        }
        series.inFlight.increment()
        context[CountedInFlight.self] = series
    }

    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {
        guard let series = context[CountedInFlight.self] else {
            calls.labels(context.path, status.description).increment()
            latency.labels(context.path).observe(duration)
            return
        }
        series.inFlight.decrement()
        if status == .ok {
            series.ok.increment()
        } else {
            calls.labels(context.path, status.description).increment()
        }
        series.latency.observe(duration)
    }
}

/// The series every call of one method touches, looked up once per call instead of four label
/// lookups (each an array of label values hashed under the family's lock: ~1% of a call's CPU).
final class MethodSeries: Sendable {
    let inFlight: Gauge
    let latency: Histogram
    let ok: Counter

    init(inFlight: Gauge, latency: Histogram, ok: Counter) {
        self.inFlight = inFlight
        self.latency = latency
        self.ok = ok
    }
}

/// Method path -> its series. Bounded: only routed methods reach interceptors.
final class MethodSeriesCache: Sendable {
    private let series = Mutex<[String: MethodSeries]>([:])
    /// The last path asked for and its series: a connection's calls repeat one path, whose
    /// String the server reuses (`ServerConnection.route`), so the comparison is mostly a
    /// pointer check where the dictionary hashed the path on every call.
    private let last = Mutex<(path: String, series: MethodSeries)?>(nil)

    func series(for path: String, make: (String) -> MethodSeries) -> MethodSeries {
        if let known = last.withLock({ $0 }), known.path == path { return known.series }
        let found = lookUp(path, make: make)
        last.withLock { $0 = (path, found) }
        return found
    }

    private func lookUp(_ path: String, make: (String) -> MethodSeries) -> MethodSeries {
        if let known = series.withLock({ $0[path] }) { return known }
        let made = make(path)
        return series.withLock { series in
            if let raced = series[path] { return raced }
            series[path] = made
            return made
        }
    }
}
