import ServiceKit

/// What an account may see of an order (DOMAIN.md "Information security").
enum OrderAccess: Comparable {
    case none
    /// The referrer: the order's progress and amounts, never the customer or the people.
    case referrer
    /// The partner platform that submitted it: its customer, status and times, never our
    /// people (who acknowledged, who executes) nor our internal records (SLA violations).
    case partner
    case full
}

/// The caller as the visibility rules see it: its credited-team reach, its account (executor,
/// referrer) and whether it is a partner platform.
struct OrderViewer: Sendable {
    var accountID: String
    var teamPath: String
    var isPartner: Bool

    init(_ actor: VerifiedActor) {
        accountID = actor.accountID
        teamPath = actor.seesTeamOrders ? actor.teamPath : ""
        isPartner = actor.role == .partner
    }

    /// Team paths are node paths ("/hq/cq/cq-o1"); a node reaches itself and its descendants.
    /// An empty path reaches no team; "/" (the root) reaches all.
    func reachesTeam(_ creditedTeamPath: String) -> Bool {
        guard !teamPath.isEmpty, !isPartner else { return false }
        return creditedTeamPath == teamPath || creditedTeamPath.hasPrefix(teamPrefix)
    }

    /// `teamPath` with one trailing slash: what descendants' paths start with.
    var teamPrefix: String { teamPath.hasSuffix("/") ? teamPath : teamPath + "/" }

    func access(to order: OrderRecord, isParticipant: Bool) -> OrderAccess {
        guard !accountID.isEmpty else { return .none }
        if reachesTeam(order.creditedTeamPath) || isParticipant { return .full }
        if isPartner && order.partnerID == accountID { return .partner }
        if order.referrerCode == accountID { return .referrer }
        return .none
    }

    /// Event kinds that are the organisation's own business (who missed what, who was paged):
    /// only callers with full access see them.
    static let internalEventKinds: Set<String> = ["sla_violation", "sla_violation_withdrawn", "sla_escalated", "prompt_undelivered"]
}
