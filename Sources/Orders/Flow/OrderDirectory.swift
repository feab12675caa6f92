import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The gateway's account directory feed. Orders keeps it to check routing against the
/// organisation, to leave disabled accounts out of routing (`CatalogStore.routingStatements`)
/// and to climb the escalation ladder. When an account a district's routing names is disabled,
/// the region is told (its customer service and regional manager), since that district may now
/// have nobody to prompt.
extension OrderFlow {
    public func setDirectoryEntry(_ entry: Xsc_Common_V1_DirectoryEntry, actor: VerifiedActor) async throws -> Xsc_Common_V1_DirectoryAck {
        guard actor.role == .system else {
            throw RPCError.notAllowed("only the gateway's directory feed sets directory entries")
        }
        var problems = FieldViolations()
        if entry.accountId.isEmpty || entry.accountId.utf8.count > 128 { problems.add("account_id", "1 to 128 bytes") }
        if entry.version <= 0 { problems.add("version", "must be positive") }
        try problems.check()
        var ack = Xsc_Common_V1_DirectoryAck()
        ack.applied = try await directory.apply(entry)
        if ack.applied && !entry.enabled { try await tellRegionsAboutDisabled(entry) }
        return ack
    }

    private func tellRegionsAboutDisabled(_ entry: Xsc_Common_V1_DirectoryEntry) async throws {
        try await pool.transaction { tx in
            let named = try await regionSettings.routingsNaming(entry.accountId, in: tx)
            let byRegion = Dictionary(grouping: named, by: \.region)
            for (region, routes) in byRegion.sorted(by: { $0.key < $1.key }) {
                let supervisors = try await directory.accounts(onNode: OrgPath.root + "/" + region)
                    .filter { $0.role == .customerService || $0.role == .regionalManager }.map(\.id)
                guard !supervisors.isEmpty else { continue }
                try await notifier.accountDisabled(to: supervisors, region: region, account: entry.accountId, name: entry.name,
                                                   districts: Array(Set(routes.map(\.district))).sorted(), in: tx)
            }
        }
    }
}
