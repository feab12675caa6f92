import Messages
import RPC

/// Every problem of one request, collected while validating it and reported at once as
/// INVALID_ARGUMENT with `google.rpc.BadRequest` field violations, so a form can mark every bad
/// field in one go (ARCHITECTURE.md, "Errors"). Field names are the proto's, with paths for
/// nested and repeated fields (`customer.phones[1]`).
public struct FieldViolations: Sendable, Equatable, Error {
    public struct Violation: Sendable, Equatable {
        public var field: String
        public var description: String
    }

    public private(set) var items: [Violation] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }

    public mutating func add(_ field: String, _ description: String) {
        items.append(Violation(field: field, description: description))
    }

    /// Adds every violation of `other` (a nested part validated on its own).
    public mutating func merge(_ other: FieldViolations) {
        items += other.items
    }

    /// Adds `description` when it is not nil (for the `problem(with:)` checks of the kit).
    public mutating func add(_ field: String, ifProblem description: String?) {
        if let description { add(field, description) }
    }

    /// Throws the INVALID_ARGUMENT error when anything was added.
    public func check() throws(RPCError) {
        guard !items.isEmpty else { return }
        throw error
    }

    /// The INVALID_ARGUMENT error for what was added. Its message lists every violation
    /// ("customer.phone: …; customer.name: …"); the details carry BadRequest and an ErrorInfo
    /// with reason INVALID_ARGUMENT.
    public var error: RPCError {
        var badRequest = Google_Rpc_BadRequest()
        badRequest.fieldViolations = items.map { item in
            var violation = Google_Rpc_BadRequest.FieldViolation()
            violation.field = item.field
            violation.description = item.description
            return violation
        }
        let message = items.map { "\($0.field): \($0.description)" }.joined(separator: "; ")
        return RPCError.withDetails(.invalidArgument, message, [badRequest, DomainErrors.info(reason: "INVALID_ARGUMENT")])
    }

    /// The error for a single bad field.
    public static func error(_ field: String, _ description: String) -> RPCError {
        var violations = FieldViolations()
        violations.add(field, description)
        return violations.error
    }
}
