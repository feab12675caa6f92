import DomainKit
import Messages
import Postgres
import ServiceKitStore

/// The people of the organisation as the gateway's directory feed announced them (the platform
/// table `xsc_directory` through ServiceKitStore.AccountDirectory): names for statements, roles
/// and nodes for the violation ledger.
struct DirectoryStore: Sendable {
    struct Person: Sendable, Equatable {
        var accountID: String
        var name: String
        var domainRole: String
        var nodePath: String
    }

    let directory: AccountDirectory

    func apply(_ entry: Xsc_Common_V1_DirectoryEntry) async throws -> Bool {
        try await directory.apply(entry)
    }

    /// By account id; unknown ids are absent. Read outside the caller's transaction: the
    /// directory is the gateway's eventually consistent copy anyway.
    func people(_ ids: [String]) async throws -> [String: Person] {
        guard !ids.isEmpty else { return [:] }
        var people: [String: Person] = [:]
        for account in try await directory.accounts(ids: Array(Set(ids))) {
            people[account.id] = Person(accountID: account.id, name: account.name, domainRole: account.role?.rawValue ?? "",
                                        nodePath: account.nodePath)
        }
        return people
    }
}
