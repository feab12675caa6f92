import DomainKit
import RPC

/// The stable machine codes (`google.rpc.ErrorInfo.reason`) of the orders service's refusals.
public enum OrderErrorReason {
    public static let illegalTransition = "ILLEGAL_TRANSITION"
    public static let notAllowed = "NOT_ALLOWED"
    public static let externalIDReused = "EXTERNAL_ID_REUSED"
    /// The promotion plan is inactive, outside its dates, or not open to the order's region.
    public static let promotionClosed = "PROMOTION_CLOSED"
    public static let promotionBudgetExceeded = "PROMOTION_BUDGET_EXCEEDED"
}

extension RPCError {
    /// A refusal of the order area with its reason (DomainKit builds it like every service's).
    static func orders(_ code: StatusCode, _ message: String, reason: String) -> RPCError {
        DomainErrors.refused(code, message, reason: reason)
    }

    /// Not found, or not the caller's to see: the same answer either way.
    static func orderNotFound(_ id: String) -> RPCError {
        DomainErrors.notFound("order", id: id)
    }
}
