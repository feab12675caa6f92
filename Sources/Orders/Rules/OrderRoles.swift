import DomainKit
import ServiceKit

/// What the order area makes of the caller's role. The gateway signs the exact DOMAIN.md role
/// (`domain_role`); actors minted by tools and tests carry only the coarse class, which is
/// then read the way the gateway maps roles onto it.
extension VerifiedActor {
    /// The region's supervisors of order execution: the regional manager and the region's
    /// customer service (return visits, stepping in for an office lead, refunds).
    var isRegionSupervisor: Bool {
        domainRole.isEmpty ? role == .manager : Self.supervisorRoles.contains(domainRole)
    }

    /// Whether the account sees the orders credited to its node and below. Dealers see only
    /// what they were assigned, intermediaries and alliance leads only their own referrals,
    /// partners only their own submissions (DOMAIN.md "Information security").
    var seesTeamOrders: Bool {
        guard role != .partner else { return false }
        return !Self.outsideRoles.contains(domainRole)
    }

    /// The regional manager (a minted tool actor: the coarse manager class).
    var isRegionalManager: Bool {
        domainRole.isEmpty ? role == .manager : domainRole == "regional_manager"
    }

    /// The region's customer service (回访 and supervising execution).
    var isCustomerService: Bool { domainRole == "customer_service" }

    /// Makes return visits without being the office's order lead: the region's customer service
    /// (a minted tool actor: the coarse manager class). Not the regional manager.
    var visitsAsSupervisor: Bool {
        isCustomerService || (domainRole.isEmpty && role == .manager)
    }

    /// The region the actor's node is in ("cq"), nil at HQ or above.
    var regionCode: String? { OrgPath.region(of: teamPath) }

    /// The submitter of a new customer's order who becomes its owner (customers service).
    var isSalesperson: Bool { domainRole == "salesperson" }

    static let supervisorRoles: Set<String> = ["regional_manager", "customer_service"]
    static let outsideRoles: Set<String> = ["dealer", "intermediary", "alliance_lead"]
}
