import ServiceKit

/// What the settlements area makes of the caller's role. The gateway signs the exact DOMAIN.md
/// role (`domainRole`); actors minted by tools and tests carry only the coarse class.
extension VerifiedActor {
    /// Signs statements and sets the region's reward rules.
    var isRegionalManager: Bool {
        domainRole.isEmpty ? role == .manager : domainRole == "regional_manager"
    }

    /// May set an intermediary's recruiter: the regional manager or a team admin.
    var maySetRecruiter: Bool {
        isRegionalManager || domainRole == "team_admin" || (domainRole.isEmpty && role == .admin)
    }

    /// Reads (and prints) the statements of its region: the regional manager, the region's
    /// customer service and the office order leads.
    var readsRegionStatements: Bool {
        isRegionalManager || domainRole == "customer_service" || domainRole == "office_order_lead"
    }

    /// The region of the caller's node ("/hq/cq/cq-o1" -> "cq"); nil above or outside a region.
    var regionID: String? { SettlementRoles.region(ofPath: teamPath) }
}

enum SettlementRoles {
    /// The second segment of an organisation path under "/hq" is the region code.
    static func region(ofPath path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0] == "hq" else { return nil }
        return String(parts[1])
    }
}
