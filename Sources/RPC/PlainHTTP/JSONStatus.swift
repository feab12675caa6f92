import Messages
import ProtoCodec

/// Errors of the JSON API: the call's `google.rpc.Status` as JSON (`code`, `message`, `details`
/// with `@type`), under the HTTP status google.rpc.Code documents for each code.
public enum JSONStatus {
    public static func httpStatus(_ code: StatusCode) -> Int {
        switch code {
        case .ok: 200
        case .cancelled: 499
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .unauthenticated: 401
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        default: 500
        }
    }

    /// The Status of `error`: its `grpc-status-details-bin` when it has one, else code and message.
    public static func status(of error: RPCError) -> Google_Rpc_Status {
        if let details = error.details, let status = try? Google_Rpc_Status(serializedBytes: details) { return status }
        var status = Google_Rpc_Status()
        status.code = Int32(error.code.rawValue)
        status.message = error.message
        return status
    }

    public static func body(_ error: RPCError) -> [UInt8] { status(of: error).jsonText() }

    /// The response head of an error: JSON, and Retry-After when the service sent a RetryInfo.
    public static func head(_ error: RPCError) -> PlainHTTPResponseHead {
        var headers: [(name: String, value: String)] = [("content-type", "application/json")]
        if let retry = error.detail(Google_Rpc_RetryInfo.self), let delay = retry.retryDelay {
            headers.append(("retry-after", String(max(1, delay.seconds + (delay.nanos > 0 ? 1 : 0)))))
        }
        if error.code == .unauthenticated { headers.append(("www-authenticate", "Bearer")) }
        return PlainHTTPResponseHead(status: httpStatus(error.code), headers: headers)
    }

    public static func respond(_ error: RPCError, to responder: any PlainHTTPResponder) async {
        await responder.respond(head(error), body: body(error))
    }

    /// INVALID_ARGUMENT for a body or query that does not map onto the request message, with
    /// the member as a BadRequest field violation (`lines[0].quantity`).
    static func invalidJSON(_ error: ProtoJSONError) -> RPCError {
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = error.path
        violation.description = error.reason
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = [violation]
        let message = error.isSyntax ? "the body is not valid JSON: \(error.reason)" : "invalid request: \(error.description)"
        return error.isSyntax ? RPCError(code: .invalidArgument, message: message)
            : RPCError.withDetails(.invalidArgument, message, [badRequest])
    }
}
