import Messages
import RPC

/// Collects every problem of a request, then answers INVALID_ARGUMENT once with all of them as
/// `google.rpc.BadRequest` field violations (so a form can mark every bad field at once).
struct FieldViolations {
    private(set) var violations: [(field: String, description: String)] = []

    mutating func add(_ field: String, _ description: String) {
        violations.append((field, description))
    }

    func check() throws(RPCError) {
        guard !violations.isEmpty else { return }
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = violations.map { violation in
            var item = Google_Rpc_BadRequest.FieldViolation()
            item.field = violation.field
            item.description = violation.description
            return item
        }
        let message = violations.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
        throw RPCError.withDetails(.invalidArgument, message, [badRequest])
    }
}

enum GatewayErrors {
    /// Not found, or not the caller's to see: the same answer either way.
    static func notFound(_ what: String) -> RPCError {
        RPCError(code: .notFound, message: "\(what) not found")
    }

    static let badCredentials = RPCError(code: .unauthenticated, message: "invalid credentials")
    static let noCredentials = RPCError(code: .unauthenticated,
                                        message: "missing credentials: send authorization: Bearer <session token or API key>")

    static func rateLimited(retryAfterMs: Int64) -> RPCError {
        var retry = Google_Rpc_RetryInfo()
        var delay = Google_Protobuf_Duration()
        delay.seconds = retryAfterMs / 1000
        delay.nanos = Int32((retryAfterMs % 1000) * 1_000_000)
        retry.retryDelay = delay
        return RPCError.withDetails(.resourceExhausted, "rate limit exceeded, retry in \(retryAfterMs) ms", [retry])
    }
}
