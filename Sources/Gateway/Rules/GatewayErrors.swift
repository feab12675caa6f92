import DomainKit
import Messages
import RPC

/// The gateway's own refusals (field violations and not-found come from DomainKit).
enum GatewayErrors {
    /// Not found, or not the caller's to see: the same answer either way.
    static func notFound(_ what: String) -> RPCError {
        DomainErrors.notFound(what)
    }

    static let badCredentials = DomainErrors.refused(.unauthenticated, "invalid credentials", reason: "BAD_CREDENTIALS")
    /// An API key that is unknown, revoked, or bound to a client certificate the connection did
    /// not present: one answer for all three, so a stolen key does not tell which; the message
    /// says what a partner can check.
    static let badAPIKey = DomainErrors.refused(
        .unauthenticated,
        "invalid credentials: the API key is unknown or revoked, or it is bound to a client certificate "
            + "and this connection did not present that certificate (connect over TLS with it)",
        reason: "BAD_CREDENTIALS")
    static let noCredentials = DomainErrors.refused(.unauthenticated,
                                                    "missing credentials: send authorization: Bearer <session token or API key>",
                                                    reason: "NO_CREDENTIALS")

    static func rateLimited(retryAfterMs: Int64) -> RPCError {
        var retry = Google_Rpc_RetryInfo()
        var delay = Google_Protobuf_Duration()
        delay.seconds = retryAfterMs / 1000
        delay.nanos = Int32((retryAfterMs % 1000) * 1_000_000)
        retry.retryDelay = delay
        var info = Google_Rpc_ErrorInfo()
        info.reason = "RATE_LIMITED"
        info.domain = DomainErrors.domain
        return RPCError.withDetails(.resourceExhausted, "rate limit exceeded, retry in \(retryAfterMs) ms", [retry, info])
    }
}
