import DomainKit

/// Where the people of a district's routing must be in the organisation (DOMAIN.md roles
/// table): the office's order leads on the office node, district leads on the district node,
/// dealers within the office (a dealer may serve several of its districts), the optional
/// escalation accounts the region's customer service or regional manager on the region node.
/// The credited team is a team node of the district. Pure: the caller passes what the
/// directory knows of each named account.
enum RoutingPlaces {
    struct Group: Sendable {
        var field: String
        var accounts: [String]
        var roles: Set<DomainRole>
        var place: Place
    }

    enum Place: Sendable {
        case exactly(String)
        case within(String)
    }

    static func groups(region: String, office: String, district: String, officeLeads: [String], districtLeads: [String],
                       dealers: [String], escalation: [String]) -> [Group] {
        let regionPath = OrgPath.root + "/" + region
        let officePath = regionPath + "/" + office
        let districtPath = officePath + "/" + district
        return [
            Group(field: "office_lead_account_ids", accounts: officeLeads, roles: [.officeOrderLead],
                  place: .exactly(officePath)),
            Group(field: "district_lead_account_ids", accounts: districtLeads, roles: [.districtOrderLead],
                  place: .exactly(districtPath)),
            Group(field: "dealer_account_ids", accounts: dealers, roles: [.dealer], place: .within(officePath)),
            Group(field: "escalation_account_ids", accounts: escalation,
                  roles: [.customerService, .regionalManager], place: .exactly(regionPath)),
        ]
    }

    /// What is wrong with `account` in `group`, or nil.
    static func problem(_ account: DirectoryAccount?, in group: Group) -> String? {
        guard let account, account.enabled else { return "not an enabled account of the organisation" }
        guard let role = account.role, group.roles.contains(role) else {
            return "\(account.name) is not a \(group.roles.map(\.rawValue).sorted().joined(separator: " or "))"
        }
        switch group.place {
        case .exactly(let path) where account.nodePath != path:
            return "\(account.name) hangs on \(account.nodePath), not on \(path)"
        case .within(let path) where !OrgPath.isWithin(account.nodePath, subtree: path):
            return "\(account.name) hangs on \(account.nodePath), outside \(path)"
        default:
            return nil
        }
    }

    /// The credited team must be a team node right under the routed district.
    static func teamProblem(_ path: String, region: String, office: String, district: String) -> String? {
        let districtPath = [OrgPath.root, region, office, district].joined(separator: "/")
        guard OrgPath.isValidPath(path), OrgPath.ancestors(of: path).dropFirst().first == districtPath, path.split(separator: "/").count == 5 else {
            return "a team node of district \(district), like \(districtPath)/t1"
        }
        return nil
    }
}
