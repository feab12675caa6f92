import RPC

/// Writes one line per finished call: method, status, duration_ms, peer, request_id (from the
/// verified actor, else the caller's `x-request-id`). Server-side failures log at error level;
/// health checks, which orchestrators send every few seconds, log at debug.
public struct AccessLogInterceptor: ServerInterceptor {
    private let logger: Logger
    private let quietMethods: Set<String>

    public static let defaultQuietMethods: Set<String> = [
        "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
    ]

    public init(logger: Logger, quietMethods: Set<String> = AccessLogInterceptor.defaultQuietMethods) {
        self.logger = logger
        self.quietMethods = quietMethods
    }

    public func callFinished(_ context: ServerContext, status: StatusCode, duration: Duration) {
        let level = AccessLogInterceptor.level(for: status, quiet: quietMethods.contains(context.path))
        guard logger.isEnabled(level) else { return }
        let requestID = context.verifiedActor?.requestID ?? context.requestText("x-request-id") ?? ""
        logger.log(level, "rpc call", fields: [
            ("method", .string(context.path)),
            ("status", .string(status.description)),
            ("duration_ms", .double(AccessLogInterceptor.milliseconds(duration))),
            ("peer", .string(context.peer)),
            ("request_id", .string(requestID)),
        ], trace: context[TraceKey.self])
    }

    public func handlerFailed(_ context: ServerContext, error: any Error) {
        // The caller saw a generic status; the detail (a database message, a bug) is for us.
        logger.log(.error, "rpc handler failed", fields: [
            ("method", .string(context.path)),
            ("error", .string(String(describing: error))),
            ("request_id", .string(context.verifiedActor?.requestID ?? context.requestText("x-request-id") ?? "")),
        ], trace: context[TraceKey.self])
    }

    static func level(for status: StatusCode, quiet: Bool) -> LogLevel {
        switch status {
        case .internalError, .unknown, .dataLoss: return .error
        default: return quiet ? .debug : .info
        }
    }

    /// Rounded to microseconds: enough for latency, and short lines.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return Double(micros) / 1000
    }
}
