import DomainKit
import ServiceKit

/// Who sees what of a campaign (services/campaigns/README.md "Who may do what"). Campaigns are
/// not orders: like customers and proposals they are closed inside the owning team. The
/// leader runs its own campaigns; a pickup point's dealer and verification officers see the
/// campaign and their points' picking lists; every account and partner may read the public
/// view by share code (what a participant needs). Anything else answers NOT_FOUND, the same
/// as a missing campaign.
enum CampaignAccess: Sendable, Equatable, Comparable {
    case none
    /// Dealers and verification officers of some of its pickup points.
    case pointStaff(points: Set<String>)
    /// The owning team's accounts and the leader: participants with phones and pickup codes.
    case owner

    static func < (lhs: CampaignAccess, rhs: CampaignAccess) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .none: 0
        case .pointStaff: 1
        case .owner: 2
        }
    }

    static func of(_ actor: VerifiedActor, campaign: CampaignRow, points: [PointRow]) -> CampaignAccess {
        if actor.role == .system { return .owner }
        if actor.role != .partner && (actor.teamPath == campaign.teamPath || actor.accountID == campaign.leaderAccountID) {
            return .owner
        }
        let served = Set(points.filter { $0.dealerAccountID == actor.accountID || $0.verifierAccountIDs.contains(actor.accountID) }
            .map(\.id))
        return served.isEmpty ? .none : .pointStaff(points: served)
    }

    /// Who may open a campaign for its node: a team's admin, an office's order lead, or a
    /// manager / HQ administrator.
    static func mayCreate(_ actor: VerifiedActor) -> Bool {
        if actor.role == .admin || actor.role == .manager { return true }
        return actor.domainRole == DomainRole.teamAdmin.rawValue || actor.domainRole == DomainRole.officeOrderLead.rawValue
    }

    /// Joins come from the owning team (the leader collects its neighbours' orders) or from a
    /// partner platform (a mini-program) on a participant's behalf.
    static func mayJoin(_ actor: VerifiedActor, access: CampaignAccess) -> Bool {
        actor.role == .partner || access == .owner
    }
}
