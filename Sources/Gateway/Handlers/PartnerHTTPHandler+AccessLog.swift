import RPC
import ServiceKit
import Synchronization

/// One access-log line per partner HTTP request, as `AccessLogInterceptor` writes per gRPC call
/// (the interceptors see only gRPC calls): method, path, protocol, HTTP status, duration, peer,
/// request id. 5xx answers log at error level.
final class AccessLoggingResponder: PlainHTTPResponder, Sendable {
    private let inner: any PlainHTTPResponder
    private let status = Mutex<Int>(0)

    init(_ inner: any PlainHTTPResponder) {
        self.inner = inner
    }

    var answeredStatus: Int { status.withLock { $0 } }

    func respond(_ head: PlainHTTPResponseHead, body: [UInt8]) async {
        status.withLock { $0 = head.status }
        await inner.respond(head, body: body)
    }

    func startStream(_ head: PlainHTTPResponseHead) async throws {
        status.withLock { $0 = head.status }
        try await inner.startStream(head)
    }

    func send(_ bytes: [UInt8]) async throws { try await inner.send(bytes) }
    func finish() async { await inner.finish() }
    var isClosed: Bool { get async { await inner.isClosed } }
}

extension PartnerHTTPHandler {
    func logged(_ request: PlainHTTPRequest, _ responder: any PlainHTTPResponder,
                _ body: (any PlainHTTPResponder) async -> Void) async {
        let started = ContinuousClock.now
        let logging = AccessLoggingResponder(responder)
        await body(logging)
        let status = logging.answeredStatus
        let level: LogLevel = status >= 500 ? .error : .info
        guard logger.isEnabled(level) else { return }
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        logger.log(level, "http request", [
            "method": .string(request.method),
            // The path only: queries may carry an SMS-provider key (vendor callbacks).
            "path": .string(String(request.path.prefix(200))),
            "protocol": .string(request.protocolName),
            "status": .int(Int64(status)),
            "duration_ms": .double(Double(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) / 1000),
            "peer": .string(request.peer),
            "request_id": .string(request.header("x-request-id") ?? ""),
        ])
    }
}
