import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Ownership transfer (a salesperson leaves) by the team admin, and the team's audit trail.
extension CustomerFlow {
    public func transfer(_ request: Xsc_Customers_V1_TransferOwnershipRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_TransferOwnershipResponse {
        let member = try TeamMember.reader(actor, "customer", request.customerId)
        let reason = request.reason.trimmedForPeople
        var problems = FieldViolations()
        let newOwner = request.newOwnerAccountId.trimmedForPeople
        problems.add("new_owner_account_id", ifProblem: PeopleText.problem(with: newOwner, maxLength: 64))
        problems.add("reason", ifProblem: PeopleText.problem(with: reason, required: false, maxLength: 200))
        try problems.check()
        let entry = try await directory.members([newOwner]).first
        return try await pool.transaction { tx in
            let customer = try await teamCustomer(request.customerId, for: member, forUpdate: true, in: tx)
            try member.requireTeamAdmin("transfer a customer to another salesperson")
            guard let entry, entry.worksCustomers(of: member.teamPath) else {
                throw FieldViolations.error("new_owner_account_id", "not an active salesperson of your team: \(newOwner)")
            }
            guard entry.id != customer.ownerAccountID else {
                throw DomainErrors.illegalState("the customer belongs to \(newOwner) already")
            }
            let now = clock()
            let updated = try await store.setOwner(customer.id, owner: entry.id, at: now, in: tx)
            try await audit.record(id: makeID(), team: member.teamPath, kind: "transfer", customerID: customer.id, actor: member.accountID,
                                   detail: "owner \(customer.ownerAccountID.isEmpty ? "-" : customer.ownerAccountID) -> \(entry.id)" + (reason.isEmpty ? "" : ": \(reason)"),
                                   at: now, in: tx)
            var response = Xsc_Customers_V1_TransferOwnershipResponse()
            response.customer = updated.message
            return response
        }
    }

    public func listAudit(_ request: Xsc_Customers_V1_ListAuditRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ListAuditResponse {
        let member = try TeamMember.require(actor)
        try member.requireTeamAdmin("read the audit trail")
        guard ["", "transfer", "merge", "duplicate_attempt"].contains(request.kind) else {
            throw FieldViolations.error("kind", "one of transfer, merge, duplicate_attempt, or empty for all")
        }
        let cursor = try PageCursor.parse(request.page?.cursor)
        let size = PageCursor.size(request.page?.pageSize ?? 0)
        let items = try await audit.list(team: member.teamPath, kind: request.kind, after: cursor, limit: size + 1, pool: pool)
        var response = Xsc_Customers_V1_ListAuditResponse()
        response.entries = Array(items.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if items.count > size, let last = response.entries.last { info.nextCursor = PageCursor(millis: last.atMs, id: last.id).text }
        response.pageInfo = info
        return response
    }

    /// The gateway's directory feed (a SYSTEM actor only).
    public func setDirectoryEntry(_ entry: Xsc_Common_V1_DirectoryEntry, actor: VerifiedActor) async throws -> Xsc_Common_V1_DirectoryAck {
        try Self.requireSystem(actor, "SetDirectoryEntry")
        guard !entry.accountId.isEmpty, entry.accountId.count <= 64 else { throw FieldViolations.error("account_id", "required") }
        var ack = Xsc_Common_V1_DirectoryAck()
        ack.applied = try await directory.apply(entry)
        return ack
    }
}
