import RPC

/// The trace a piece of work belongs to, and this process's span in it. A server call gets one
/// from `TraceInterceptor` (continuing the caller's `traceparent`, or starting a trace when the
/// caller sent none); a worker that carries on a traced piece of work (an outbox delivery)
/// binds one with `TraceContext.$bound`. Log lines and outgoing calls read `current`.
public struct TraceContext: Sendable, Equatable {
    public var traceID: String
    public var spanID: String
    /// The caller's span; nil when this span started the trace.
    public var parentSpanID: String?
    public var flags: UInt8
    /// The caller's `tracestate`, passed on untouched (vendors' data; bounded in size).
    public var traceState: String?

    public init(traceID: String, spanID: String, parentSpanID: String?, flags: UInt8 = 1, traceState: String? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.flags = flags
        self.traceState = traceState
    }

    /// What a call made inside this span sends: this span as the callee's parent.
    public var traceparent: String { TraceParent(traceID: traceID, parentID: spanID, flags: flags).headerValue }

    /// A new span of this trace whose parent is this one (a worker's span, an outgoing hop).
    public func child(ids: TraceIDSource) -> TraceContext {
        TraceContext(traceID: traceID, spanID: ids.spanID(), parentSpanID: spanID, flags: flags, traceState: traceState)
    }

    /// Continues `header` (a `traceparent` value) or starts a new trace when it is absent or malformed.
    public static func continuing(_ header: String?, traceState: String?, ids: TraceIDSource) -> TraceContext {
        let state = traceState.flatMap { $0.utf8.count <= maxTraceStateBytes ? $0 : nil }
        if let header, let parent = TraceParent.parse(header) {
            return TraceContext(traceID: parent.traceID, spanID: ids.spanID(), parentSpanID: parent.parentID,
                                flags: parent.flags, traceState: state)
        }
        return TraceContext(traceID: ids.traceID(), spanID: ids.spanID(), parentSpanID: nil, flags: 1, traceState: nil)
    }

    /// Trace Context lets a receiver drop a tracestate over 512 characters.
    static let maxTraceStateBytes = 512

    /// Set by a worker for the work it does on behalf of a traced call.
    @TaskLocal public static var bound: TraceContext?

    /// The trace of the work this task is doing: a worker's bound one, else the server call's.
    public static var current: TraceContext? {
        bound ?? CurrentCall.context?[TraceKey.self]
    }
}

/// Where `TraceInterceptor` keeps a call's trace in its `ServerContext`.
public enum TraceKey: ServerContextKey {
    public typealias Value = TraceContext
}

extension Metadata {
    /// Replaces whatever trace headers the metadata had with `trace`'s (nothing when nil), so a
    /// call to a peer continues the current trace.
    public mutating func setTrace(_ trace: TraceContext? = TraceContext.current) {
        removeAll(named: "traceparent")
        removeAll(named: "tracestate")
        guard let trace else { return }
        add("traceparent", trace.traceparent)
        if let state = trace.traceState { add("tracestate", state) }
    }
}
