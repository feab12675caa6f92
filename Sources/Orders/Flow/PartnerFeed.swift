import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The partner feed: a partner's order events in commit order from a cursor (a feed
/// position), paged or streamed live.
extension OrderFlow {
    /// How often a live stream looks for new events when it has caught up.
    static let feedPollInterval: Duration = .milliseconds(250)

    public func partnerEvents(_ request: Xsc_Orders_V1_PartnerFeedRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_ListPartnerEventsResponse {
        guard actor.role == .partner else { throw RPCError.notAllowed("the feed serves partner platforms; staff use ListOrderEvents") }
        let after = try Self.feedPosition(request.cursor)
        return try await feedPage(partner: actor.accountID, after: after, limit: Self.pageSize(request.pageSize))
    }

    /// Sends the backlog after the cursor, then new events as they commit, until the caller
    /// cancels or `checkStop` throws (the server shutting down: the partner resumes from its
    /// last cursor).
    public func watchPartnerEvents(_ request: Xsc_Orders_V1_PartnerFeedRequest, actor: VerifiedActor,
                                   checkStop: () throws -> Void = {},
                                   send: (Xsc_Orders_V1_PartnerFeedEvent) async throws -> Void) async throws {
        guard actor.role == .partner else { throw RPCError.notAllowed("the feed serves partner platforms; staff use ListOrderEvents") }
        var after = try Self.feedPosition(request.cursor)
        while !Task.isCancelled {
            try checkStop()
            // A partner that disconnects cancels this task, and with it a running page query
            // (the pool closes a connection that got a cancel request, so a late cancel never
            // reaches another caller's statement).
            let page = try await feedPage(partner: actor.accountID, after: after, limit: Self.maxPageSize)
            for event in page.events { try await send(event) }
            after = try Self.feedPosition(page.nextCursor)
            if page.events.isEmpty { try await Task.sleep(for: Self.feedPollInterval) }
        }
    }

    private func feedPage(partner: String, after: Int64, limit: Int) async throws -> Xsc_Orders_V1_ListPartnerEventsResponse {
        let feed = FeedStore()
        try await feed.sequence(pool: pool)
        return try await pool.transaction { tx in
            let entries = try await feed.events(partner: partner, after: after, limit: limit, in: tx)
            let orders = try await store.records(Array(Set(entries.map(\.event.orderId))), in: tx)
            var response = Xsc_Orders_V1_ListPartnerEventsResponse()
            response.events = entries.map { entry in
                var item = Xsc_Orders_V1_PartnerFeedEvent()
                item.cursor = String(entry.position)
                var event = entry.event
                // Our people stay ours: the partner sees its own actions by id, ours anonymously.
                if event.actorAccountId != partner { event.actorAccountId = "" }
                event.detail = ""
                item.event = event
                item.order = orders[entry.event.orderId]?.message(access: .partner)
                return item
            }
            response.nextCursor = entries.last.map { String($0.position) } ?? String(after)
            return response
        }
    }

    static func feedPosition(_ cursor: String) throws -> Int64 {
        if cursor.isEmpty { return 0 }
        guard let position = Int64(cursor), position >= 0 else {
            throw FieldViolations.error("cursor", "not a cursor this feed returned")
        }
        return position
    }
}
