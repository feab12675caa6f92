import Messages

/// The domain roles (DOMAIN.md) as stored (`accounts.role`) and as the API spells them.
public enum StaffRole: String, Sendable, CaseIterable {
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

    public init?(_ api: Xsc_Gateway_V1_AccountRole) {
        switch api {
        case .hqAdmin: self = .hqAdmin
        case .regionalManager: self = .regionalManager
        case .customerService: self = .customerService
        case .officeOrderLead: self = .officeOrderLead
        case .districtOrderLead: self = .districtOrderLead
        case .dealer: self = .dealer
        case .salesperson: self = .salesperson
        case .teamAdmin: self = .teamAdmin
        case .intermediary: self = .intermediary
        case .allianceLead: self = .allianceLead
        default: return nil
        }
    }

    public var api: Xsc_Gateway_V1_AccountRole {
        switch self {
        case .hqAdmin: .hqAdmin
        case .regionalManager: .regionalManager
        case .customerService: .customerService
        case .officeOrderLead: .officeOrderLead
        case .districtOrderLead: .districtOrderLead
        case .dealer: .dealer
        case .salesperson: .salesperson
        case .teamAdmin: .teamAdmin
        case .intermediary: .intermediary
        case .allianceLead: .allianceLead
        }
    }

    /// The coarse class the signed actor carries in `role`; the exact role travels beside it in
    /// ActorContext.domain_role (this enum's raw value).
    public var actorRole: Xsc_Common_V1_ActorContext.Role {
        switch self {
        case .hqAdmin: .admin
        case .regionalManager, .teamAdmin: .manager
        default: .staff
        }
    }
}

/// The levels of the organisation tree, top to bottom.
public enum NodeLevel: String, Sendable, CaseIterable {
    case hq, region, office, district, team

    public init?(_ api: Xsc_Gateway_V1_NodeKind) {
        switch api {
        case .hq: self = .hq
        case .region: self = .region
        case .office: self = .office
        case .district: self = .district
        case .team: self = .team
        default: return nil
        }
    }

    public var api: Xsc_Gateway_V1_NodeKind {
        switch self {
        case .hq: .hq
        case .region: .region
        case .office: .office
        case .district: .district
        case .team: .team
        }
    }

    /// The level a child of this node must have (nil under a team).
    public var childLevel: NodeLevel? {
        switch self {
        case .hq: .region
        case .region: .office
        case .office: .district
        case .district: .team
        case .team: nil
        }
    }
}
