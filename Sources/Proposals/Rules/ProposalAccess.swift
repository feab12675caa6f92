import DomainKit

/// Who sees what (DOMAIN.md, information security): proposals are closed inside the owning
/// team. The one opening is the superior a proposal was sent to for a decision: it reads the
/// proposal it must decide (the levels asked so far). A draft is its proposer's alone.
/// Everyone else, ancestors included, gets the same NOT_FOUND as for a missing id.
enum ProposalAccess {
    struct Facts: Sendable {
        var teamPath: String
        var proposer: String
        var state: ProposalState
        /// Every account asked to decide so far (all levels up to the current escalation).
        var askedDeciders: Set<String>
    }

    static func canRead(account: String, teamPath: String, _ facts: Facts) -> Bool {
        if facts.state == .draft { return account == facts.proposer }
        return teamPath == facts.teamPath || facts.askedDeciders.contains(account)
    }

    static func isMember(teamPath: String, of facts: Facts) -> Bool {
        teamPath == facts.teamPath
    }

    /// Whether `late` applies: a decision after the first superior's window (DOMAIN.md:
    /// 30 minutes) still counts, marked late.
    static func isLate(decidedAt: Int64, firstDueAt: Int64) -> Bool {
        decidedAt > firstDueAt
    }
}

/// Who may set a team's deadlines: its own team admin, or a leader on an ancestor node.
enum SettingsAccess {
    static func canConfigure(team: String, actorRole: String, actorNode: String) -> Bool {
        guard let role = DomainRole(rawValue: actorRole), role.leadershipRank != nil else { return false }
        if role == .teamAdmin { return actorNode == team }
        return OrgPath.isWithin(team, subtree: actorNode)
    }
}
