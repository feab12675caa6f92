import DomainKit
import Messages
import Postgres
import ServiceKitStore

/// The people of the organisation as proposals needs them, from the platform's account
/// directory (the gateway's feed in `xsc_directory`): a team's members, a person, and the
/// chain of superiors (DomainKit `Superiors`). Reads go through the pool, so flows read the
/// directory before they open their transaction (a timer handler, already inside one, takes a
/// second connection for it).
struct PeopleDirectory: Sendable {
    let accounts: AccountDirectory

    func apply(_ entry: Xsc_Common_V1_DirectoryEntry) async throws -> Bool {
        try await accounts.apply(entry)
    }

    func person(_ id: String) async throws -> DirectoryAccount? {
        try await accounts.account(id)
    }

    /// Enabled accounts hanging exactly on `node` (a team's members).
    func members(of node: String) async throws -> [DirectoryAccount] {
        try await accounts.accounts(onNode: node)
    }

    /// The superiors of `accountID`, nearest level first, as account ids.
    func superiorLevels(of accountID: String) async throws -> [[String]] {
        try await accounts.superiors(of: accountID).map { $0.map(\.id) }
    }
}
