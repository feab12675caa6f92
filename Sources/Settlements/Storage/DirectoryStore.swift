import Messages
import Postgres

/// The people the gateway's directory feed announced. Interim: the one file to switch to
/// ServiceKitStore.AccountDirectory when the platform directory lands on main.
struct DirectoryStore: Sendable {
    struct Person: Sendable, Equatable {
        var accountID: String
        var name: String
        var domainRole: String
        var nodePath: String
    }

    /// Applies an entry unless the stored one is as new or newer; true when it changed.
    func apply(_ entry: Xsc_Common_V1_DirectoryEntry, pool: PostgresPool) async throws -> Bool {
        let rows = try await pool.query("""
            INSERT INTO directory_entries (account_id, name, domain_role, node_path, enabled, version)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, domain_role = EXCLUDED.domain_role,
                node_path = EXCLUDED.node_path, enabled = EXCLUDED.enabled, version = EXCLUDED.version
            WHERE directory_entries.version < EXCLUDED.version
            RETURNING 1
            """, [.text(entry.accountId), .text(entry.name), .text(entry.domainRole), .text(entry.nodePath),
                  .bool(entry.enabled), .int64(entry.version)])
        return !rows.isEmpty
    }

    func people(_ ids: [String], in tx: PostgresTransaction) async throws -> [String: Person] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await tx.query("""
            SELECT account_id, name, domain_role, node_path FROM directory_entries
            WHERE account_id = ANY(string_to_array($1, ','))
            """, [.text(ids.joined(separator: ","))])
        var people: [String: Person] = [:]
        for row in rows {
            let person = Person(accountID: try row.decode(String.self, column: "account_id"),
                                name: try row.decode(String.self, column: "name"),
                                domainRole: try row.decode(String.self, column: "domain_role"),
                                nodePath: try row.decode(String.self, column: "node_path"))
            people[person.accountID] = person
        }
        return people
    }
}
