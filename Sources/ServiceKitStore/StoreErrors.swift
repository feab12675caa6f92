import Messages
import ProtoCodec
import RPC

/// The stable machine codes (`google.rpc.ErrorInfo.reason`) of the errors this module
/// returns to callers; the message beside each is for humans and may change.
public enum StoreErrorReason {
    public static let domain = "xsc"
    /// Same idempotency key, different request.
    public static let idempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"
    /// Missing, empty or over-long idempotency key.
    public static let idempotencyKeyInvalid = "IDEMPOTENCY_KEY_INVALID"
    /// A key committed without its answer (a programming error in the service).
    public static let idempotencyAnswerMissing = "IDEMPOTENCY_ANSWER_MISSING"
}

extension RPCError {
    /// An error whose `grpc-status-details-bin` carries a `google.rpc.Status` with one
    /// `google.rpc.ErrorInfo` (reason = the stable code).
    static func withReason(_ code: StatusCode, _ message: String, reason: String,
                           metadata: [String: String] = [:]) -> RPCError {
        var info = Google_Rpc_ErrorInfo()
        info.reason = reason
        info.domain = StoreErrorReason.domain
        info.metadata = metadata
        return withDetails(code, message, [info])
    }

    /// The `ErrorInfo.reason` in this error's details, if it carries one.
    public var errorInfoReason: String? {
        detail(Google_Rpc_ErrorInfo.self)?.reason
    }
}
