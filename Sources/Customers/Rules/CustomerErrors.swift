import DomainKit
import RPC

/// The customers service's refusals: one place for their stable reasons and wording.
enum CustomerErrors {
    enum Reason {
        static let alreadyOwned = "CUSTOMER_ALREADY_OWNED"
        static let alreadyYours = "CUSTOMER_ALREADY_YOURS"
        static let notTeamMember = "NOT_TEAM_MEMBER"
        static let teamAdminOnly = "TEAM_ADMIN_ONLY"
        static let notOwner = "NOT_CUSTOMER_OWNER"
        static let versionConflict = "VERSION_CONFLICT"
        static let alreadyBound = "ALREADY_BOUND"
        static let systemOnly = "SYSTEM_ONLY"
        static let notIntermediary = "NOT_INTERMEDIARY"
    }

    /// The refusal of a phone someone else registered first. Fixed text, nothing from the
    /// request or the owner's record: byte for byte the same whoever and wherever the owner is,
    /// so it tells the caller only that the number is taken (DOMAIN.md: "names no details").
    static let alreadyOwned = DomainErrors.refused(
        .alreadyExists,
        "this customer is already registered by another salesperson, who keeps it (first registration wins); their details are not shown. Ask your team admin if the customer wants to change salesperson",
        reason: Reason.alreadyOwned)

    static func notFound(_ kind: String, _ id: String) -> RPCError {
        DomainErrors.notFound(kind, id: id)
    }

    static func systemOnly(_ what: String) -> RPCError {
        DomainErrors.refused(.permissionDenied, "\(what) is called by XSC services only", reason: Reason.systemOnly)
    }
}
