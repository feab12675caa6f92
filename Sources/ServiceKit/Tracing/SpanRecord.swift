/// One finished span, as the exporter sends it.
public struct SpanRecord: Sendable, Equatable {
    public enum Kind: Int, Sendable { case internalWork = 1, server = 2, client = 3 }

    public var name: String
    public var kind: Kind
    public var trace: TraceContext
    public var startUnixNanos: Int64
    public var endUnixNanos: Int64
    /// The gRPC status code's number (0 is OK).
    public var grpcStatus: Int
    public var attributes: [(String, String)]

    public init(name: String, kind: Kind, trace: TraceContext, startUnixNanos: Int64, endUnixNanos: Int64,
                grpcStatus: Int, attributes: [(String, String)] = []) {
        self.name = name
        self.kind = kind
        self.trace = trace
        self.startUnixNanos = startUnixNanos
        self.endUnixNanos = endUnixNanos
        self.grpcStatus = grpcStatus
        self.attributes = attributes
    }

    public static func == (lhs: SpanRecord, rhs: SpanRecord) -> Bool {
        lhs.name == rhs.name && lhs.kind == rhs.kind && lhs.trace == rhs.trace && lhs.startUnixNanos == rhs.startUnixNanos
            && lhs.endUnixNanos == rhs.endUnixNanos && lhs.grpcStatus == rhs.grpcStatus
            && lhs.attributes.map { $0.0 + "=" + $0.1 } == rhs.attributes.map { $0.0 + "=" + $0.1 }
    }
}

/// OTLP/JSON (opentelemetry-proto's JSON mapping as collectors accept it on `/v1/traces`):
/// ids as lowercase hex, 64-bit times as decimal strings, enums as numbers.
enum OTLPJSON {
    static func body(service: String, spans: [SpanRecord]) -> String {
        var out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
        attribute("service.name", service, to: &out)
        out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"xsc\"},\"spans\":["
        for (index, span) in spans.enumerated() {
            if index > 0 { out += "," }
            append(span, to: &out)
        }
        out += "]}]}]}"
        return out
    }

    private static func append(_ span: SpanRecord, to out: inout String) {
        out += "{\"traceId\":\"\(span.trace.traceID)\",\"spanId\":\"\(span.trace.spanID)\""
        if let parent = span.trace.parentSpanID { out += ",\"parentSpanId\":\"\(parent)\"" }
        if let state = span.trace.traceState { out += ",\"traceState\":"; JSONLine.appendString(state, to: &out) }
        out += ",\"name\":"
        JSONLine.appendString(span.name, to: &out)
        out += ",\"kind\":\(span.kind.rawValue)"
        out += ",\"startTimeUnixNano\":\"\(span.startUnixNanos)\",\"endTimeUnixNano\":\"\(span.endUnixNanos)\""
        out += ",\"attributes\":["
        attribute("rpc.system", "grpc", to: &out)
        out += ",{\"key\":\"rpc.grpc.status_code\",\"value\":{\"intValue\":\"\(span.grpcStatus)\"}}"
        for (key, value) in span.attributes {
            out += ","
            attribute(key, value, to: &out)
        }
        // STATUS_CODE_ERROR (2) for a failed call, UNSET (0) otherwise, as the gRPC conventions ask.
        out += "],\"status\":{\"code\":\(span.grpcStatus == 0 ? 0 : 2)}}"
    }

    private static func attribute(_ key: String, _ value: String, to out: inout String) {
        out += "{\"key\":"
        JSONLine.appendString(key, to: &out)
        out += ",\"value\":{\"stringValue\":"
        JSONLine.appendString(value, to: &out)
        out += "}}"
    }
}
