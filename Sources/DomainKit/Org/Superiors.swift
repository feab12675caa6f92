/// Who is above whom (DOMAIN.md: proposals go to "the superior", missed deadlines escalate
/// "to the next superior"). The organisation names no superior per person, so the rule is
/// by role and place: walking up from the person's own node, every enabled account with a
/// leading role ranked above the person's is a superior, nearer nodes first and, on one node,
/// lower ranks first (a team's admin before the district lead above it). Each rank appears
/// once in the chain: the nearest holder of it. Pure: the caller passes the accounts of the
/// person's node and its ancestors.
public enum Superiors {
    /// The chain above `person`, nearest first. `candidates` may hold anyone; those not on the
    /// person's node or an ancestor, disabled, or not ranked above the person are left out.
    public static func chain(above person: DirectoryAccount, candidates: [DirectoryAccount]) -> [[DirectoryAccount]] {
        let ownRank = person.role?.leadershipRank ?? 0
        let ancestors = OrgPath.ancestors(of: person.nodePath)
        var byRank: [Int: (depth: Int, accounts: [DirectoryAccount])] = [:]
        for candidate in candidates where candidate.enabled && candidate.id != person.id {
            guard let rank = candidate.role?.leadershipRank, rank > ownRank,
                  let depth = ancestors.firstIndex(of: candidate.nodePath) else { continue }
            if let held = byRank[rank] {
                if depth < held.depth { byRank[rank] = (depth, [candidate]) }
                else if depth == held.depth { byRank[rank] = (depth, held.accounts + [candidate]) }
            } else {
                byRank[rank] = (depth, [candidate])
            }
        }
        // Nearer node first; on one node, the lower rank (the closer superior) first.
        return byRank.sorted { lhs, rhs in
            lhs.value.depth != rhs.value.depth ? lhs.value.depth < rhs.value.depth : lhs.key < rhs.key
        }.map { $0.value.accounts.sorted { $0.id < $1.id } }
    }
}
