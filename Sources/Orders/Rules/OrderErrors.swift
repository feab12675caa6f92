import Messages
import ProtoCodec
import RPC

/// The stable machine codes (`google.rpc.ErrorInfo.reason`) of the orders service's errors.
public enum OrderErrorReason {
    public static let domain = "xsc.orders"
    public static let illegalTransition = "ILLEGAL_TRANSITION"
    public static let notAllowed = "NOT_ALLOWED"
    public static let externalIDReused = "EXTERNAL_ID_REUSED"
    /// The promotion plan is inactive, outside its dates, or not open to the order's region.
    public static let promotionClosed = "PROMOTION_CLOSED"
    public static let promotionBudgetExceeded = "PROMOTION_BUDGET_EXCEEDED"
}

/// Field problems collected while validating one request, reported all at once as
/// INVALID_ARGUMENT with `google.rpc.BadRequest` field violations.
struct FieldViolations {
    private(set) var items: [Google_Rpc_BadRequest.FieldViolation] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func add(_ field: String, _ description: String) {
        var violation = Google_Rpc_BadRequest.FieldViolation()
        violation.field = field
        violation.description = description
        items.append(violation)
    }

    /// The error for a single bad field (to throw where no other check can follow).
    static func error(_ field: String, _ description: String) -> RPCError {
        var problems = FieldViolations()
        problems.add(field, description)
        return problems.makeError()
    }

    /// Throws when anything was added.
    func check() throws(RPCError) {
        guard !items.isEmpty else { return }
        throw makeError()
    }

    private func makeError() -> RPCError {
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = items
        let message = items.count == 1
            ? "\(items[0].field): \(items[0].description)"
            : "\(items.count) invalid fields; first \(items[0].field): \(items[0].description)"
        return RPCError.withDetails(.invalidArgument, message, [badRequest])
    }
}

extension RPCError {
    /// An error whose details carry one ErrorInfo with `reason`.
    static func orders(_ code: StatusCode, _ message: String, reason: String) -> RPCError {
        var info = Google_Rpc_ErrorInfo()
        info.reason = reason
        info.domain = OrderErrorReason.domain
        return withDetails(code, message, [info])
    }

    /// Not found, or not the caller's to see: the same answer either way.
    static func orderNotFound(_ id: String) -> RPCError {
        RPCError(code: .notFound, message: "order \(id.prefix(64)) not found")
    }
}
