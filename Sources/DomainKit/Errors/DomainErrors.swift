import Messages
import ProtoCodec
import RPC

/// The error shapes of ARCHITECTURE.md, built one way in every service: each refusal carries a
/// stable `google.rpc.ErrorInfo.reason` (the machine code clients branch on) in the domain
/// `xsc`, and a message a person can act on. INVALID_ARGUMENT goes through `FieldViolations`.
public enum DomainErrors {
    public static let domain = "xsc"

    /// A refusal with its reason: FAILED_PRECONDITION for a state conflict, ALREADY_EXISTS for a
    /// duplicate, PERMISSION_DENIED for a role that may never do this, RESOURCE_EXHAUSTED...
    public static func refused(_ code: StatusCode, _ message: String, reason: String) -> RPCError {
        RPCError.withDetails(code, message, [info(reason: reason)])
    }

    /// Not found, or not the caller's to see: byte for byte the same answer either way, so a
    /// refused read never tells that the object exists (DOMAIN.md, information security).
    /// `kind` names the object ("customer"), `id` is the caller's own input, cut short.
    public static func notFound(_ kind: String, id: String) -> RPCError {
        let shown = id.count > 64 ? String(id.prefix(64)) + "…" : id
        return refused(.notFound, "\(kind) \(shown) not found", reason: "NOT_FOUND")
    }

    /// `notFound(kind, id:)` for an object the request names otherwise (by a path, a
    /// phone): "customer not found".
    public static func notFound(_ kind: String) -> RPCError {
        refused(.notFound, "\(kind) not found", reason: "NOT_FOUND")
    }

    /// The state conflict of a step that the object's current state does not allow.
    public static func illegalState(_ message: String) -> RPCError {
        refused(.failedPrecondition, message, reason: "ILLEGAL_STATE")
    }

    static func info(reason: String) -> Google_Rpc_ErrorInfo {
        var info = Google_Rpc_ErrorInfo()
        info.reason = reason
        info.domain = domain
        return info
    }
}
