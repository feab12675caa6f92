import DomainKit
import Messages
import RPC
import ServiceKit

/// Routing and region settings checked against the organisation. The accounts come from
/// orders' directory (fed by the gateway): an id the directory does not know, a disabled
/// account, the wrong role or the wrong node is refused per field, so an operator cannot route a
/// district's orders to a typo or to a dealer posing as a lead.
extension OrderFlow {
    func checkAgainstOrganisation(_ given: Xsc_Orders_V1_DistrictRouting, into problems: inout FieldViolations) async throws {
        if let team = RoutingPlaces.teamProblem(given.creditedTeamPath, region: given.regionId, office: given.officeId,
                                                district: given.districtId) {
            problems.add("routing.credited_team_path", team)
        }
        let groups = RoutingPlaces.groups(region: given.regionId, office: given.officeId, district: given.districtId,
                                          officeLeads: given.officeLeadAccountIds, districtLeads: given.districtLeadAccountIds,
                                          dealers: given.dealerAccountIds, escalation: given.escalationAccountIds)
        let known = Dictionary(try await directory.accounts(ids: groups.flatMap(\.accounts)).map { ($0.id, $0) },
                               uniquingKeysWith: { first, _ in first })
        for group in groups {
            for (index, account) in group.accounts.enumerated() {
                if let problem = RoutingPlaces.problem(known[account], in: group) {
                    problems.add("routing.\(group.field)[\(index)]", problem)
                }
            }
        }
    }

    /// A region's own settings: HQ or the region's manager.
    public func setRegionSettings(_ request: Xsc_Orders_V1_SetRegionSettingsRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_RegionSettings {
        let given = request.settings ?? Xsc_Orders_V1_RegionSettings()
        try Self.requireRegionOrHQ(actor, region: given.regionId, what: "a region's order settings")
        var problems = FieldViolations()
        Self.checkID(given.regionId, field: "settings.region_id", into: &problems)
        if !(0...7 * 86_400).contains(given.dealerAcceptSeconds) {
            problems.add("settings.dealer_accept_seconds", "0 (no window) to 604800 seconds")
        }
        if !(0...30 * 86_400).contains(given.returnVisitSeconds) {
            problems.add("settings.return_visit_seconds", "0 (two days) to 2592000 seconds")
        }
        if !(0...ChannelConflictRules.maxWindowHours).contains(Int(given.channelConflictWindowHours)) {
            problems.add("settings.channel_conflict_window_hours", "0 (\(ChannelConflictRules.defaultWindowHours) hours) to \(ChannelConflictRules.maxWindowHours) hours")
        }
        try problems.check()
        var answer = given
        answer.returnVisitSeconds = given.returnVisitSeconds == 0 ? Int32(Routing.defaultReturnVisitSeconds) : given.returnVisitSeconds
        answer.channelConflictWindowHours = given.channelConflictWindowHours == 0
            ? Int32(ChannelConflictRules.defaultWindowHours) : given.channelConflictWindowHours
        try await pool.transaction { tx in
            try await regionSettings.upsert(region: given.regionId, dealerAcceptSeconds: Int(given.dealerAcceptSeconds),
                                            returnVisitSeconds: Int(answer.returnVisitSeconds),
                                            conflictWindowHours: Int(given.channelConflictWindowHours), by: actor.accountID, at: clock(), in: tx)
        }
        return answer
    }
}
