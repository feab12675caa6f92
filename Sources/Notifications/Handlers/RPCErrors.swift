import Messages
import ProtoCodec
import RPC

/// The error shapes of ARCHITECTURE.md: INVALID_ARGUMENT carries BadRequest field violations,
/// every other error an ErrorInfo reason (stable machine code).
enum NotificationErrors {
    static let domain = "xsc.notifications"

    static func invalidArgument(_ violations: FieldViolations) -> RPCError {
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = violations.items.map {
            var violation = Google_Rpc_BadRequest.FieldViolation()
            violation.field = $0.field
            violation.description = $0.description
            return violation
        }
        let message = violations.items.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
        return RPCError.withDetails(.invalidArgument, message, [badRequest])
    }

    static func withReason(_ code: StatusCode, _ message: String, reason: String) -> RPCError {
        var info = Google_Rpc_ErrorInfo()
        info.reason = reason
        info.domain = domain
        return RPCError.withDetails(code, message, [info])
    }

    static func notFound(_ what: String) -> RPCError {
        withReason(.notFound, "\(what) not found", reason: "NOT_FOUND")
    }
}
