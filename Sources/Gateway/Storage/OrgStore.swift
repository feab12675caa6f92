import Foundation
import Messages
import Postgres

/// The organisation tree in `gateway.org_nodes`.
public struct OrgStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = "id, kind, slug, name, path, coalesce(parent_path, ''), (extract(epoch from created_at) * 1000)::bigint"

    public func node(path: String) async throws -> Xsc_Gateway_V1_Node? {
        let rows = try await pool.query("SELECT \(Self.columns) FROM org_nodes WHERE path = $1", [.text(path)])
        return try rows.first.map(Self.node)
    }

    /// Inserts a node; nil when the path is taken.
    public func insert(kind: NodeLevel, slug: String, name: String, parentPath: String?) async throws -> Xsc_Gateway_V1_Node? {
        try await pool.transaction { transaction in
            try await insert(kind: kind, slug: slug, name: name, parentPath: parentPath, in: transaction)
        }
    }

    public func insert(kind: NodeLevel, slug: String, name: String, parentPath: String?,
                       in transaction: PostgresTransaction) async throws -> Xsc_Gateway_V1_Node? {
        let path = (parentPath ?? "") + "/" + slug
        let rows = try await transaction.query("""
            INSERT INTO org_nodes (id, kind, slug, name, path, parent_path) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (path) DO NOTHING RETURNING \(Self.columns)
            """, [.text(UUID().uuidString.lowercased()), .text(kind.rawValue), .text(slug), .text(name), .text(path),
                  parentPath.map { .text($0) } ?? .null])
        return try rows.first.map(Self.node)
    }

    /// Changes a node's display name; nil when there is no such node.
    public func rename(path: String, to name: String) async throws -> Xsc_Gateway_V1_Node? {
        let rows = try await pool.query("UPDATE org_nodes SET name = $2 WHERE path = $1 RETURNING \(Self.columns)",
                                        [.text(path), .text(name)])
        return try rows.first.map(Self.node)
    }

    /// Nodes at or below `under`, ordered by path, after `cursor` (a path).
    public func list(under: String, after cursor: String, limit: Int) async throws -> [Xsc_Gateway_V1_Node] {
        let rows = try await pool.query("""
            SELECT \(Self.columns) FROM org_nodes
            WHERE (path = $1 OR path LIKE $1 || '/%') AND path > $2 ORDER BY path LIMIT $3
            """, [.text(under), .text(cursor), .int(limit)])
        return try rows.map(Self.node)
    }

    static func node(_ row: PostgresRow) throws -> Xsc_Gateway_V1_Node {
        var node = Xsc_Gateway_V1_Node()
        node.id = try row.decode(String.self, at: 0)
        node.kind = NodeLevel(rawValue: try row.decode(String.self, at: 1))?.api ?? .unspecified
        node.slug = try row.decode(String.self, at: 2)
        node.name = try row.decode(String.self, at: 3)
        node.path = try row.decode(String.self, at: 4)
        node.parentPath = try row.decode(String.self, at: 5)
        node.createdAtMs = try row.decode(Int64.self, at: 6)
        return node
    }
}
