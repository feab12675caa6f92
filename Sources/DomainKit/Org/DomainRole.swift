/// The roles of DOMAIN.md ("The organisation"), spelled as the gateway stores them and signs
/// them in `ActorContext.domain_role`.
public enum DomainRole: String, Sendable, CaseIterable, Hashable {
    case hqAdmin = "hq_admin"
    case regionalManager = "regional_manager"
    case customerService = "customer_service"
    case officeOrderLead = "office_order_lead"
    case districtOrderLead = "district_order_lead"
    case dealer
    case salesperson
    case teamAdmin = "team_admin"
    case intermediary
    case allianceLead = "alliance_lead"

    /// The rank of a role when it leads people (higher decides for lower), or nil for roles
    /// that lead nobody (members of a team, dealers, partners' intermediaries). The chain
    /// follows the organisation: a team's admin, the district lead, the office lead, the
    /// region's customer service, the regional manager, headquarters.
    public var leadershipRank: Int? {
        switch self {
        case .teamAdmin: 1
        case .districtOrderLead: 2
        case .officeOrderLead: 3
        case .customerService: 4
        case .regionalManager: 5
        case .hqAdmin: 6
        case .dealer, .salesperson, .intermediary, .allianceLead: nil
        }
    }
}
