import DomainKit
import RPC
import ServiceKit

/// Who may work a team's customers (DOMAIN.md, information security: everything that is not an
/// order is closed inside the owning team). A customer belongs to the team node its creator
/// hangs on; only accounts hanging on exactly that node read it - no other team, no ancestor.
/// Anyone else gets the same NOT_FOUND as for a missing id (`CustomerErrors.notFound`).
struct TeamMember: Sendable, Equatable {
    enum Standing: Sendable, Equatable {
        /// Registers and works customers.
        case salesperson
        /// Also reviews near-duplicates, merges, transfers ownership and reads the audit trail.
        case teamAdmin
    }

    var accountID: String
    var teamPath: String
    var standing: Standing

    var isTeamAdmin: Bool { standing == .teamAdmin }

    /// The caller as a member of a team's customer area, or nil when its role has none
    /// (leads, dealers, intermediaries, managers, partners, the system).
    init?(_ actor: VerifiedActor) {
        guard actor.role == .staff || actor.role == .manager || actor.role == .admin, !actor.teamPath.isEmpty else { return nil }
        switch actor.domainRole {
        case "salesperson": standing = .salesperson
        case "team_admin": standing = .teamAdmin
        default: return nil
        }
        accountID = actor.accountID
        teamPath = actor.teamPath
    }

    init(accountID: String, teamPath: String, standing: Standing) {
        self.accountID = accountID
        self.teamPath = teamPath
        self.standing = standing
    }

    /// A caller with no customer area: refused before anything is read, so the answer cannot
    /// depend on what exists.
    static func require(_ actor: VerifiedActor) throws -> TeamMember {
        guard let member = TeamMember(actor) else {
            throw DomainErrors.refused(.permissionDenied, "customers are worked by the team's salespeople and team admin only",
                                       reason: CustomerErrors.Reason.notTeamMember)
        }
        return member
    }

    /// The caller for a call naming an object (`kind` `id`): anyone without a customer area
    /// (an ancestor's lead, a dealer, an intermediary...) gets the NOT_FOUND a missing id gets,
    /// byte for byte, like another team's member does once the object is looked up.
    static func reader(_ actor: VerifiedActor, _ kind: String, _ id: String) throws -> TeamMember {
        guard let member = TeamMember(actor) else { throw CustomerErrors.notFound(kind, id) }
        return member
    }

    func requireTeamAdmin(_ what: String) throws {
        guard isTeamAdmin else {
            throw DomainErrors.refused(.permissionDenied, "only the team admin may \(what)", reason: CustomerErrors.Reason.teamAdminOnly)
        }
    }

    /// The region code of the team ("cq" of "/hq/cq/cq-o1/..."): whose SMS budget pays.
    var regionCode: String { Self.regionCode(of: teamPath) }

    static func regionCode(of path: String) -> String {
        OrgPath.region(of: path) ?? "hq"
    }
}
