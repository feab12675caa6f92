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

    /// Every live customer `from` owns in the team goes to `to` (a salesperson leaves); one
    /// audit entry per customer, all in one transaction.
    public func transferAll(_ request: Xsc_Customers_V1_TransferAllCustomersRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_TransferAllCustomersResponse {
        let member = try TeamMember.require(actor)
        try member.requireTeamAdmin("transfer customers to another salesperson")
        let from = request.fromOwnerAccountId.trimmedForPeople
        let to = request.newOwnerAccountId.trimmedForPeople
        let reason = request.reason.trimmedForPeople
        var problems = FieldViolations()
        problems.add("from_owner_account_id", ifProblem: PeopleText.problem(with: from, maxLength: 64))
        problems.add("new_owner_account_id", ifProblem: PeopleText.problem(with: to, maxLength: 64))
        problems.add("reason", ifProblem: PeopleText.problem(with: reason, required: false, maxLength: 200))
        if !from.isEmpty && from == to { problems.add("new_owner_account_id", "the same account as from_owner_account_id") }
        try problems.check()
        guard let entry = try await directory.members([to]).first, entry.worksCustomers(of: member.teamPath) else {
            throw FieldViolations.error("new_owner_account_id", "not an active salesperson of your team: \(to)")
        }
        return try await pool.transaction { tx in
            let now = clock()
            let moved = try await store.transferAll(team: member.teamPath, from: from, to: entry.id, at: now, in: tx)
            for id in moved {
                try await audit.record(id: makeID(), team: member.teamPath, kind: "transfer", customerID: id, actor: member.accountID,
                                       detail: "owner \(from) -> \(entry.id)" + (reason.isEmpty ? "" : ": \(reason)"), at: now, in: tx)
            }
            var response = Xsc_Customers_V1_TransferAllCustomersResponse()
            response.transferred = Int32(moved.count)
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
