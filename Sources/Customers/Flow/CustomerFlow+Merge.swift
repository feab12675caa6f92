import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The team admin's review of near-duplicates: list, dismiss, merge (earliest owner wins;
/// phones, follow-ups, tasks and the binding move to the survivor; audited).
extension CustomerFlow {
    public func listNearDuplicates(_ request: Xsc_Customers_V1_ListNearDuplicatesRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ListNearDuplicatesResponse {
        let member = try TeamMember.require(actor)
        try member.requireTeamAdmin("review near-duplicates")
        let cursor = try PageCursor.parse(request.page?.cursor)
        let size = PageCursor.size(request.page?.pageSize ?? 0)
        let items = try await duplicates.list(team: member.teamPath, includeClosed: request.includeClosed, after: cursor, limit: size + 1, pool: pool)
        var response = Xsc_Customers_V1_ListNearDuplicatesResponse()
        response.nearDuplicates = Array(items.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if items.count > size, let last = response.nearDuplicates.last { info.nextCursor = PageCursor(millis: last.createdAtMs, id: last.id).text }
        response.pageInfo = info
        return response
    }

    public func dismissNearDuplicate(id: String, actor: VerifiedActor) async throws -> Xsc_Customers_V1_NearDuplicate {
        let member = try TeamMember.reader(actor, "near-duplicate", id)
        return try await pool.transaction { tx in
            guard let (flag, team) = try await duplicates.load(id, in: tx), team == member.teamPath else {
                throw CustomerErrors.notFound("near-duplicate", id)
            }
            try member.requireTeamAdmin("dismiss near-duplicates")
            guard flag.state == "open" else { throw DomainErrors.illegalState("this near-duplicate was \(flag.state) already") }
            try await duplicates.close(flag.id, state: "dismissed", by: member.accountID, in: tx)
            return try await duplicates.load(flag.id, in: tx)?.flag ?? flag
        }
    }

    public func merge(_ request: Xsc_Customers_V1_MergeCustomersRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_MergeCustomersResponse {
        let member = try TeamMember.reader(actor, "customer", min(request.customerId, request.otherCustomerId))
        return try await pool.transaction { tx in
            // Locked in id order, so two merges of the same pair cannot deadlock.
            let ids = [request.customerId, request.otherCustomerId]
            var loaded: [String: CustomerRecord] = [:]
            for id in ids.sorted() where loaded[id] == nil { loaded[id] = try await teamCustomer(id, for: member, forUpdate: true, in: tx) }
            try member.requireTeamAdmin("merge customers")
            guard request.customerId != request.otherCustomerId else {
                throw FieldViolations.error("other_customer_id", "a customer cannot be merged with itself")
            }
            let pair = ids.compactMap { loaded[$0] }.sorted { ($0.createdAtMillis, $0.id) < ($1.createdAtMillis, $1.id) }
            let (survivor, loser) = (pair[0], pair[1])
            let now = clock()
            let moved = try await followUps.move(from: loser.id, to: survivor.id, in: tx)
            let merged = try await mergeRows(survivor: survivor, loser: loser, at: now, in: tx)
            try await duplicates.afterMerge(loser: loser.id, survivor: survivor.id, by: member.accountID, in: tx)
            if merged.nextFollowUpAtMillis > 0 {
                try await timers.schedule(in: tx, kind: Self.reminderTimer, subjectID: survivor.id, dueAtMillis: merged.nextFollowUpAtMillis)
            }
            try await timers.cancel(in: tx, kind: Self.reminderTimer, subjectID: loser.id)
            try await audit.record(id: makeID(), team: member.teamPath, kind: "merge", customerID: survivor.id, actor: member.accountID,
                                   detail: "merged \(loser.id) (owner \(loser.ownerAccountID.isEmpty ? "-" : loser.ownerAccountID)) into \(survivor.id); \(moved) follow-ups moved",
                                   at: now, in: tx)
            var response = Xsc_Customers_V1_MergeCustomersResponse()
            response.survivor = merged.message
            response.mergedCustomerId = loser.id
            response.followUpsMoved = Int32(moved)
            return response
        }
    }

    /// The survivor takes the loser's phones and tags; the earlier binding and the earlier
    /// next follow-up win; the loser is kept, marked merged, for the audit trail.
    private func mergeRows(survivor: CustomerRecord, loser: CustomerRecord, at now: Int64, in tx: PostgresTransaction) async throws -> CustomerRecord {
        var phones = survivor.phones
        for phone in loser.phones where !phones.contains(phone) { phones.append(phone) }
        var tags = survivor.tags
        for tag in loser.tags where !tags.contains(tag) { tags.append(tag) }
        let takeBinding = !loser.boundIntermediary.isEmpty
            && (survivor.boundIntermediary.isEmpty || loser.boundAtMillis < survivor.boundAtMillis)
        let binding = takeBinding ? loser : survivor
        let next = [survivor.nextFollowUpAtMillis, loser.nextFollowUpAtMillis].filter { $0 > 0 }.min()
        return try await store.absorb(survivor: survivor.id, loser: loser.id, phones: phones, tags: Array(tags.prefix(CustomerValidation.maxTags)),
                                      binding: binding, nextFollowUpAt: next, at: now, in: tx)
    }
}
