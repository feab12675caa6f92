import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// The channel-conflict guard (DOMAIN.md "Channel conflicts", seed 003): intake raises the flags
/// (`ChannelConflictStore.flagStatement`, in its own transaction); reviewers list and class them
/// here. A classed flag becomes a violation in settlements' ledger: orders queues settlements'
/// `RecordChannelConflict` in its outbox with the review, the same path as its SLA violations
/// (signed as orders' SYSTEM actor, the event id as idempotency key), and settlements applies the
/// penalty of the source table (staff 200/500/1000 yuan, dealers and distributors 2000/5000/10000)
/// or the team's own.
extension OrderFlow {
    /// The flag statement of a new order (nothing for a promotion-expense order).
    static func channelConflictStatements(_ order: OrderRecord) -> [PostgresStatement] {
        guard order.promotionPlanID.isEmpty, !order.customerPhone.isEmpty else { return [] }
        return [ChannelConflictStore.flagStatement(orderID: order.id, customerPhone: order.customerPhone,
                                                   source: order.source.storedName, partnerID: order.partnerID,
                                                   skuIDs: order.lines.map(\.skuID), regionID: order.regionID,
                                                   at: order.createdAtMillis)]
    }

    /// Newest first; the cursor is "<detected ms>:<id>" of the previous page's last flag.
    public func listChannelConflicts(_ request: Xsc_Orders_V1_ListChannelConflictsRequest,
                                     actor: VerifiedActor) async throws -> Xsc_Orders_V1_ListChannelConflictsResponse {
        guard let own = ChannelConflictRules.reviewedRegion(of: actor) else {
            throw RPCError.notAllowed("channel conflicts are reviewed by HQ and the region's manager")
        }
        var problems = FieldViolations()
        let region = request.regionId.trimmedForPeople
        if !own.isEmpty && !region.isEmpty && region != own { problems.add("region_id", "your own region (\(own)) or empty") }
        let page = request.page ?? Xsc_Common_V1_PageRequest()
        var after: (Int64, String)? = nil
        if !page.cursor.isEmpty {
            let parts = page.cursor.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let millis = Int64(parts[0]) { after = (millis, String(parts[1])) } else {
                problems.add("page.cursor", "not a cursor this service returned")
            }
        }
        try problems.check()
        let size = Self.pageSize(page.pageSize)
        let state = request.state == .unspecified ? Xsc_Orders_V1_ConflictState.open : request.state
        return try await pool.transaction { tx in
            let rows = try await ChannelConflictStore().page(region: own.isEmpty ? region : own, state: state.storedName,
                                                             after: after, limit: size + 1, in: tx)
            var response = Xsc_Orders_V1_ListChannelConflictsResponse()
            response.conflicts = rows.prefix(size).map(\.message)
            var info = Xsc_Common_V1_PageInfo()
            if rows.count > size, let last = rows.prefix(size).last { info.nextCursor = "\(last.detectedAtMillis):\(last.id)" }
            response.page = info
            return response
        }
    }

    /// Classes a flag against the person responsible (a violation in settlements' ledger), or
    /// dismisses it. A flag is reviewed once: the same review again answers the flag as it is,
    /// a different one is FAILED_PRECONDITION.
    public func classChannelConflict(_ request: Xsc_Orders_V1_ClassChannelConflictRequest,
                                     actor: VerifiedActor) async throws -> Xsc_Orders_V1_ChannelConflict {
        guard let own = ChannelConflictRules.reviewedRegion(of: actor) else {
            throw RPCError.notAllowed("channel conflicts are reviewed by HQ and the region's manager")
        }
        let detail = try ChannelConflictRules.check(request)
        guard ChannelConflictRules.mayClass(request.class, actor: actor) else {
            throw RPCError.notAllowed("a severe violation is decided by HQ (the general manager's office)")
        }
        let person = request.dismiss ? nil : try await directory.account(request.personAccountId)
        return try await pool.transaction { tx in
            let store = ChannelConflictStore()
            guard var flag = try await store.loadForReview(request.conflictId, in: tx), own.isEmpty || flag.regionID == own else {
                throw DomainErrors.notFound("channel conflict", id: request.conflictId)
            }
            let wanted = request.dismiss ? "dismissed" : "classed"
            guard flag.state == "open" else {
                if flag.state == wanted && flag.conflictClass == Int(request.class.rawValue)
                    && flag.personAccountID == request.personAccountId && flag.detail == detail {
                    return flag.message
                }
                throw DomainErrors.illegalState("this flag was \(flag.state) already by \(flag.reviewedBy)")
            }
            if !request.dismiss {
                // The person must be someone of the flag's region that orders knows of.
                guard let person, OrgPath.region(of: person.nodePath) == flag.regionID else {
                    throw DomainErrors.notFound("account", id: request.personAccountId)
                }
            }
            flag.state = wanted
            flag.conflictClass = request.dismiss ? 0 : Int(request.class.rawValue)
            flag.personAccountID = request.personAccountId
            flag.reviewedBy = actor.accountID
            flag.reviewedAtMillis = clock()
            flag.detail = detail
            try await store.saveReview(flag, in: tx)
            if !request.dismiss { try await publisher.channelConflict(flag, in: tx) }
            return flag.message
        }
    }
}

extension Xsc_Orders_V1_ConflictState {
    var storedName: String {
        switch self {
        case .classed: "classed"
        case .dismissed: "dismissed"
        default: "open"
        }
    }
}

extension ChannelConflictStore.Row {
    var message: Xsc_Orders_V1_ChannelConflict {
        func channel(_ channel: Channel) -> Xsc_Orders_V1_OrderChannel {
            var message = Xsc_Orders_V1_OrderChannel()
            message.orderId = channel.orderID
            message.orderCode = channel.code
            message.source = channel.source
            message.partnerId = channel.partnerID
            message.state = channel.state
            message.createdAtMs = channel.createdAtMillis
            message.creditedTeamPath = channel.creditedTeamPath
            return message
        }
        var message = Xsc_Orders_V1_ChannelConflict()
        message.id = id
        message.kind = kind == "refund_reorder" ? .refundReorder : .twoChannels
        message.state = state == "classed" ? .classed : state == "dismissed" ? .dismissed : .open
        message.order = channel(order)
        message.earlier = channel(earlier)
        message.customerPhone = customerPhone
        message.skuIds = skuIDs
        message.regionId = regionID
        message.detectedAtMs = detectedAtMillis
        message.class = Xsc_Orders_V1_ConflictClass(rawValue: Int32(conflictClass))
        message.personAccountId = personAccountID
        message.reviewedByAccountId = reviewedBy
        message.reviewedAtMs = reviewedAtMillis
        message.detail = detail
        return message
    }
}
