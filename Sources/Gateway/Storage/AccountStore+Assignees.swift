import Messages
import Postgres

/// The order lead's choice list (AccountHandler+Assignees): enabled district order leads and
/// dealers at or below a node.
extension AccountStore {
    /// `district`: a district node's slug (checked by the caller: letters, digits and '-', so no
    /// LIKE wildcard), matched as a whole path segment; empty for every district.
    public func assignees(under path: String, district: String, limit: Int) async throws -> [Xsc_Gateway_V1_Assignee] {
        let rows = try await pool.query("""
            SELECT id, name, role, node_path FROM accounts
            WHERE enabled AND role IN ('district_order_lead', 'dealer')
              AND (node_path = $1 OR node_path LIKE $1 || '/%')
              AND ($3 = '' OR node_path || '/' LIKE '%/' || $3 || '/%')
            ORDER BY role DESC, name, id LIMIT $2
            """, [.text(path), .int(limit), .text(district)])
        return try rows.map { row in
            var assignee = Xsc_Gateway_V1_Assignee()
            assignee.accountId = try row.decode(String.self, at: 0)
            assignee.name = try row.decode(String.self, at: 1)
            assignee.role = StaffRole(rawValue: try row.decode(String.self, at: 2))?.api ?? .unspecified
            assignee.nodePath = try row.decode(String.self, at: 3)
            return assignee
        }
    }
}
