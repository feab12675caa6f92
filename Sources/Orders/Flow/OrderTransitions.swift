import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The person-steps of the five-minute flow and the two exits (cancel, refund). Who may do
/// what: office leads (or a manager) acknowledge new orders and do the return visit; the
/// lead who acknowledged assigns; an assigned district lead acknowledges and assigns in turn;
/// the assigned dealer accepts and delivers.
extension OrderFlow {
    public func acknowledge(orderID: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try await transition(.acknowledge, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor),
                             authorize: { order, routing in
                                 try Self.authorizeAcknowledge(order, routing, account: actor.accountID, supervisor: actor.isRegionSupervisor)
                             },
                             change: { $0.acknowledgedBy = actor.accountID },
                             effects: acknowledgeEffects)
    }

    static func authorizeAcknowledge(_ order: OrderRecord, _ routing: Routing, account: String, supervisor: Bool) throws {
        if order.state == .assigned {
            guard order.assigneeKind == "district_lead" else {
                throw RPCError.illegalTransition(.acknowledge, from: order.state) // a dealer accepts instead
            }
            guard order.assigneeAccountID == account else {
                throw RPCError.notAllowed("only the district lead it was assigned to acknowledges this order")
            }
        } else if !routing.officeLeads.contains(account) && !supervisor {
            throw RPCError.notAllowed("only the office's order leads acknowledge new orders")
        }
    }

    /// The acknowledgement counts at `order.updatedAtMillis` (an SMS reply: when the lead
    /// replied). If the deadline timer recorded a miss meanwhile although that time is within
    /// the deadline, the miss is withdrawn. The forwarding deadline runs from now, when orders
    /// knows the order is acknowledged: nobody can forward it before that, so a reply held up
    /// while orders was down must not start a deadline that is already over.
    func acknowledgeEffects(_ order: OrderRecord, _ routing: Routing, _ tx: PostgresTransaction) async throws {
        try await deadlines.finish(.acknowledge, orderID: order.id, in: tx)
        try await withdrawMisses(of: .acknowledge, order: order, doneAt: order.updatedAtMillis, doneBy: order.acknowledgedBy, in: tx)
        try await deadlines.start(.assign, orderID: order.id, routing: routing, now: clock(), in: tx)
    }

    public func assign(orderID: String, assignee: String, kind: Xsc_Orders_V1_AssigneeKind, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        var problems = FieldViolations()
        if kind != .districtLead && kind != .dealer { problems.add("assignee_kind", "district_lead or dealer") }
        if assignee.isEmpty || assignee.count > SubmissionLimits.idLength { problems.add("assignee_account_id", "required, at most 64 characters") }
        try problems.check()
        let kindName = kind == .dealer ? "dealer" : "district_lead"
        return try await transition(.assign, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor),
                                    detail: "\(kindName) \(assignee)",
                                    authorize: { order, routing in
            guard order.acknowledgedBy == actor.accountID || actor.isRegionSupervisor else {
                throw RPCError.notAllowed("only the lead who acknowledged the order assigns it")
            }
            var problems = FieldViolations()
            if kind == .dealer && !routing.dealers.contains(assignee) {
                problems.add("assignee_account_id", "\(assignee) is not a dealer of district \(routing.districtID)")
            }
            if kind == .districtLead {
                if !routing.districtLeads.contains(assignee) {
                    problems.add("assignee_account_id", "\(assignee) is not an order lead of district \(routing.districtID)")
                } else if routing.districtLeads.contains(order.acknowledgedBy) {
                    problems.add("assignee_kind", "a district lead assigns to a dealer")
                }
            }
            try problems.check()
        }, change: { order in
            order.assigneeAccountID = assignee
            order.assigneeKind = kindName
        }, effects: { order, routing, tx in
            try await deadlines.finish(.assign, orderID: order.id, in: tx)
            try await deadlines.start(kind == .dealer ? .accept : .acknowledge, orderID: order.id, routing: routing, now: clock(), in: tx)
            try await store.addParticipant(orderID: order.id, accountID: assignee, in: tx)
            try await notifier.prompt("order_forwarded", to: [assignee], order: order, in: tx)
        })
    }

    public func accept(orderID: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try await transition(.accept, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor), authorize: { order, _ in
            guard order.assigneeKind == "dealer" else { throw RPCError.illegalTransition(.accept, from: order.state) }
            guard order.assigneeAccountID == actor.accountID else { throw RPCError.notAllowed("only the assigned dealer accepts the order") }
        }, effects: { order, _, tx in
            try await deadlines.finish(.accept, orderID: order.id, in: tx)
            try await notifier.confirmToCustomer(order, in: tx)
        })
    }

    public func markDelivered(orderID: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try await transition(.markDelivered, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor), authorize: { order, _ in
            guard order.assigneeAccountID == actor.accountID else { throw RPCError.notAllowed("only the assigned dealer marks the order delivered") }
        }, effects: { order, routing, tx in
            // 有开始必有结尾: the return visit has its deadline too, and the office leads are told.
            try await deadlines.start(.returnVisit, orderID: order.id, routing: routing, now: clock(), in: tx)
            try await notifier.visitDue(to: routing.officeLeads, order: order, hours: max(1, routing.returnVisitSeconds / 3600), in: tx)
        })
    }

    public func recordReturnVisit(_ request: Xsc_Orders_V1_RecordReturnVisitRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        var problems = FieldViolations()
        if !(1...5).contains(request.evaluationScore) { problems.add("evaluation_score", "from 1 to 5") }
        let text = request.evaluationText.trimmedForPeople
        if text.count > SubmissionLimits.noteLength { problems.add("evaluation_text", "at most \(SubmissionLimits.noteLength) characters") }
        var actual: [String: Int32] = [:]
        for (index, line) in request.lines.enumerated() {
            if !(0...SubmissionLimits.quantity.upperBound).contains(line.actualQuantity) {
                problems.add("lines[\(index)].actual_quantity", "between 0 and 10000")
            }
            if actual.updateValue(line.actualQuantity, forKey: line.skuId) != nil {
                problems.add("lines[\(index)].sku_id", "SKU \(line.skuId) appears twice")
            }
        }
        try problems.check()
        return try await transition(.recordReturnVisit, orderID: request.orderId, actor: EventActor(actor), viewer: OrderViewer(actor),
                                    detail: "score \(request.evaluationScore)", authorize: { order, routing in
            // The office-level lead or the region's customer service (the visibility check has
            // already kept other regions out); not the regional manager, not the dealer.
            guard routing.officeLeads.contains(actor.accountID) || actor.visitsAsSupervisor else {
                throw RPCError.notAllowed("the office's order lead or the region's customer service does the return visit")
            }
            var problems = FieldViolations()
            let ordered = Set(order.lines.map(\.skuID))
            for sku in ordered.subtracting(actual.keys).sorted() { problems.add("lines", "give the actual quantity of \(sku)") }
            for sku in Set(actual.keys).subtracting(ordered).sorted() { problems.add("lines", "\(sku) is not on this order") }
            try problems.check()
        }, change: { order in
            for index in order.lines.indices { order.lines[index].actualQuantity = actual[order.lines[index].skuID] ?? 0 }
            order.actualTotalFen = order.lines.reduce(0) { $0 + Int64($1.actualQuantity) * $1.unitPriceFen }
            order.evaluationScore = request.evaluationScore
            order.evaluationText = text
            order.visitedAtMillis = order.updatedAtMillis
            if !order.promotionPlanID.isEmpty {
                order.reimbursementQuarter = calendar.quarter(of: order.visitedAtMillis)
            }
        }, effects: { order, _, tx in
            try await deadlines.finish(.returnVisit, orderID: order.id, in: tx)
            try await store.recordActualQuantities(order, in: tx)
            try await publisher.visited(order, by: actor.accountID, in: tx)
        })
    }

    public func cancel(orderID: String, reason: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try await transition(.cancel, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor),
                             detail: String(reason.trimmedForPeople.prefix(SubmissionLimits.noteLength)), authorize: { order, routing in
            let isSubmitter = order.submittedBy == actor.accountID || (actor.role == .partner && order.partnerID == actor.accountID)
            guard isSubmitter || routing.officeLeads.contains(actor.accountID) || actor.isRegionSupervisor || actor.role == .admin else {
                throw RPCError.notAllowed("only the submitter, the office's order leads or a manager cancel an order")
            }
        }, effects: { order, _, tx in
            try await deadlines.finishAll(orderID: order.id, in: tx)
        })
    }

    public func refund(orderID: String, reason: String, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        let reason = String(reason.trimmedForPeople.prefix(SubmissionLimits.noteLength))
        return try await transition(.refund, orderID: orderID, actor: EventActor(actor), viewer: OrderViewer(actor),
                                    detail: reason, authorize: { order, _ in
            let isPartner = actor.role == .partner && order.partnerID == actor.accountID
            guard isPartner || actor.isRegionSupervisor || actor.role == .admin else {
                throw RPCError.notAllowed("only a manager or the submitting partner refunds an order")
            }
        }, effects: { order, _, tx in
            try await publisher.refunded(order, by: actor.accountID, reason: reason, in: tx)
        })
    }

    /// An SMS reply (`1`, `收到` or the order's code) acknowledging on behalf of the account that
    /// replied; called by the notifications service through its outbox, so a redelivery of
    /// an acknowledgement that already happened answers OK with the order as it is.
    public func acknowledgeBySms(_ request: Xsc_Orders_V1_AcknowledgeBySmsRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try Self.requireNotifications(actor)
        var problems = FieldViolations()
        if request.accountId.isEmpty { problems.add("account_id", "required") }
        try problems.check()
        return try await pool.transaction { tx in
            // By id, else by the code the lead replied with, else the lead's newest waiting order.
            let found = !request.orderId.isEmpty ? try await store.lockForSystem(request.orderId, in: tx)
                : !request.orderCode.isEmpty ? try await store.lockByCode(request.orderCode, in: tx)
                : try await store.lockLatestAwaitingAcknowledgement(by: request.accountId, in: tx)
            guard let order = found else {
                throw RPCError.orderNotFound(request.orderId.isEmpty ? request.orderCode : request.orderId)
            }
            let awaitingReply = order.state == .received || (order.state == .assigned && order.assigneeKind == "district_lead")
            guard awaitingReply else { return order.message(access: .full) }
            // The reply counts when it reached the provider (never before the order's last change,
            // never in the future), so a relay delay does not make the lead look late.
            let now = clock()
            let repliedAt = request.repliedAtMs > 0 ? min(max(request.repliedAtMs, order.updatedAtMillis), now) : now
            let detail = "sms reply at \(request.repliedAtMs)"
            return try await apply(.acknowledge, to: order, actor: EventActor(accountID: request.accountId, role: "sms"), detail: detail,
                                   at: repliedAt, in: tx,
                                   authorize: { order, routing in
                try Self.authorizeAcknowledge(order, routing, account: request.accountId, supervisor: false)
            }, change: { $0.acknowledgedBy = request.accountId }, effects: acknowledgeEffects)
        }
    }

    /// AcknowledgeBySms and PromptUndelivered speak for the SMS network: only the notifications
    /// service's own signed actor may call them (an HQ admin must not fake a lead's reply).
    static func requireNotifications(_ actor: VerifiedActor) throws {
        guard actor.role == .system, actor.accountID == notificationsActorID else {
            throw RPCError.notAllowed("only the notifications service reports SMS replies and deliveries")
        }
    }

    /// The account id the notifications service signs its outbox calls with.
    static let notificationsActorID = "service:notifications"
}
