import DomainKit
import Messages
import Postgres
import ServiceKitStore

/// The people of the organisation as the gateway's directory feed describes them
/// (ServiceKitStore's `AccountDirectory`, platform table `xsc_directory`). Lookups a request
/// needs are made before its transaction through `AccountDirectory`; the one made inside a
/// transaction (who to tell about a near-duplicate, found only there) reads the same table on
/// the transaction's own connection, so a transaction never waits for a second connection.
struct MemberDirectory: Sendable {
    let accounts: AccountDirectory

    init(pool: PostgresPool) {
        accounts = AccountDirectory(pool: pool)
    }

    func apply(_ entry: Xsc_Common_V1_DirectoryEntry) async throws -> Bool {
        try await accounts.apply(entry)
    }

    func members(_ ids: [String]) async throws -> [DirectoryAccount] {
        try await accounts.accounts(ids: ids)
    }

    /// The enabled team admins hanging on `team`, read in `tx`.
    func teamAdmins(of team: String, in tx: PostgresTransaction) async throws -> [String] {
        try await tx.query("""
            SELECT account_id FROM xsc_directory WHERE node_path = $1 AND domain_role = $2 AND enabled ORDER BY account_id
            """, [.text(team), .text(DomainRole.teamAdmin.rawValue)]).map { try $0.decode(String.self, column: "account_id") }
    }
}

extension DirectoryAccount {
    /// An enabled salesperson or admin of `team`: who may own a customer or be asked to follow up.
    func worksCustomers(of team: String) -> Bool {
        enabled && nodePath == team && (role == .salesperson || role == .teamAdmin)
    }
}
