import DomainKit
import RPC

/// The notifications service's refusals, built by DomainKit like every service's.
enum NotificationErrors {
    static func withReason(_ code: StatusCode, _ message: String, reason: String) -> RPCError {
        DomainErrors.refused(code, message, reason: reason)
    }

    /// Not found, or not the caller's: the same answer either way.
    static func notFound(_ what: String) -> RPCError {
        DomainErrors.notFound(what)
    }
}
