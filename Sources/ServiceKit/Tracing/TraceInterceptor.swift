import Glibc
import RPC

/// Gives every call its span: continues the caller's `traceparent` (or starts a trace), keeps
/// it in the call's context for log lines and calls to peers, and hands the finished span to
/// the exporter when one is configured. Installed first, so the other interceptors' lines
/// (the access log, a refused actor) carry the trace too.
public struct TraceInterceptor: ServerInterceptor {
    private let ids: TraceIDSource
    private let exporter: OTLPExporter?

    public init(ids: TraceIDSource = TraceIDSource(), exporter: OTLPExporter? = nil) {
        self.ids = ids
        self.exporter = exporter
    }

    public func callStarted(_ context: ServerContext) throws {
        // Two fields read from the headers in place: no decoding of all the metadata per call.
        context[TraceKey.self] = TraceContext.continuing(context.requestText("traceparent"),
                                                         traceState: context.requestText("tracestate"), ids: ids)
    }

    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {
        guard let exporter, let trace = context[TraceKey.self], trace.flags & 1 == 1 else { return }
        let end = Self.unixNanos()
        let (seconds, attoseconds) = duration.components
        let start = end - (seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        exporter.record(SpanRecord(name: context.path, kind: .server, trace: trace, startUnixNanos: start,
                                   endUnixNanos: end, grpcStatus: Int(status.rawValue),
                                   attributes: [("net.peer.name", context.peer)]))
    }

    static func unixNanos() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
