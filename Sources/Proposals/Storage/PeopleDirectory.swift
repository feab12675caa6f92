import Messages
import Postgres

/// The people of the organisation as proposals needs them: a team's members and a person's
/// chain of superiors. INTERIM: this is the one file to switch to ServiceKitStore's
/// `AccountDirectory` (platform table `xsc_directory`, DomainKit `Superiors`) when the
/// lead's directory lands on main; until then it keeps the same entries in its own table.
struct PeopleDirectory: Sendable {
    struct Person: Sendable, Equatable {
        var id: String
        var name: String
        var role: String
        var nodePath: String
        var enabled: Bool
    }

    /// The gateway's feed: an entry not newer than the stored one is ignored.
    func apply(_ entry: Xsc_Common_V1_DirectoryEntry, pool: PostgresPool) async throws -> Bool {
        try await pool.execute("""
            INSERT INTO interim_directory (account_id, name, domain_role, node_path, enabled, version)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, domain_role = EXCLUDED.domain_role,
                node_path = EXCLUDED.node_path, enabled = EXCLUDED.enabled, version = EXCLUDED.version
            WHERE interim_directory.version < EXCLUDED.version
            """, [.text(entry.accountId), .text(entry.name), .text(entry.domainRole), .text(entry.nodePath),
                  .bool(entry.enabled), .int64(entry.version)]) == 1
    }

    func person(_ id: String, in tx: PostgresTransaction) async throws -> Person? {
        try await tx.query("""
            SELECT account_id, name, domain_role, node_path, enabled FROM interim_directory WHERE account_id = $1
            """, [.text(id)]).first.map(Self.person)
    }

    /// Enabled accounts hanging exactly on `node` (a team's members).
    func members(of node: String, in tx: PostgresTransaction) async throws -> [Person] {
        try await tx.query("""
            SELECT account_id, name, domain_role, node_path, enabled FROM interim_directory
            WHERE node_path = $1 AND enabled ORDER BY account_id
            """, [.text(node)]).map(Self.person)
    }

    /// The superiors of `person`, nearest level first; each level one rank (several accounts
    /// when a node has more than one holder of it).
    func superiorLevels(of person: Person, in tx: PostgresTransaction) async throws -> [[String]] {
        let ancestors = Self.ancestors(of: person.nodePath)
        var candidates: [Person] = []
        for node in ancestors {
            candidates += try await members(of: node, in: tx)
        }
        return Self.chain(above: person, candidates: candidates, ancestors: ancestors)
    }

    // MARK: the rule (DomainKit `Superiors` once it lands)

    static let ranks: [String: Int] = [
        "team_admin": 1, "district_order_lead": 2, "office_order_lead": 3, "customer_service": 4,
        "regional_manager": 5, "hq_admin": 6,
    ]

    static func chain(above person: Person, candidates: [Person], ancestors: [String]) -> [[String]] {
        let own = ranks[person.role] ?? 0
        var byRank: [Int: (depth: Int, ids: [String])] = [:]
        for candidate in candidates where candidate.enabled && candidate.id != person.id {
            guard let rank = ranks[candidate.role], rank > own,
                  let depth = ancestors.firstIndex(of: candidate.nodePath) else { continue }
            if let held = byRank[rank] {
                if depth < held.depth { byRank[rank] = (depth, [candidate.id]) }
                else if depth == held.depth { byRank[rank] = (depth, held.ids + [candidate.id]) }
            } else {
                byRank[rank] = (depth, [candidate.id])
            }
        }
        return byRank.sorted { lhs, rhs in
            lhs.value.depth != rhs.value.depth ? lhs.value.depth < rhs.value.depth : lhs.key < rhs.key
        }.map { $0.value.ids.sorted() }
    }

    /// `path` and each ancestor, nearest first.
    static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = Substring(path)
        while current.count > 1 {
            result.append(String(current))
            guard let slash = current.lastIndex(of: "/") else { break }
            current = current[..<slash]
        }
        return result
    }

    private static func person(_ row: PostgresRow) throws -> Person {
        Person(id: try row.decode(String.self, column: "account_id"), name: try row.decode(String.self, column: "name"),
               role: try row.decode(String.self, column: "domain_role"), nodePath: try row.decode(String.self, column: "node_path"),
               enabled: try row.decode(Bool.self, column: "enabled"))
    }
}
