import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// What the order area does for group-buy campaigns (issue 17; services/campaigns/README.md).
/// A participation stays in the campaigns service until the campaign's deadline; only when the
/// campaign succeeds does campaigns hand each participation over (`placeCampaignOrder`, through
/// its outbox). So a campaign order never exists here in a "held" state: no SLA timer, no SMS
/// prompt, no sales report counts it before the campaign has succeeded, and a failed campaign
/// leaves nothing to undo here. From the hand-over on it is an ordinary order of the
/// groupbuy_platform channel: routing, the five-minute flow, the leader as referrer.
extension OrderFlow {
    /// The account the campaigns service signs its calls with (OutboxRelay.forService).
    static let campaignsActorID = "svc-campaigns"

    static func requireCampaigns(_ actor: VerifiedActor) throws {
        guard actor.role == .system, actor.accountID == campaignsActorID else {
            throw RPCError.notAllowed("only the campaigns service places and closes campaign orders")
        }
    }

    /// Guided maxima and district routing for a campaign being created.
    public func checkCampaignPrices(_ request: Xsc_Orders_V1_CheckCampaignPricesRequest,
                                    actor: VerifiedActor) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        try Self.requireCampaigns(actor)
        var problems = FieldViolations()
        if request.skuIds.count > SubmissionLimits.maxLines { problems.add("sku_ids", "at most \(SubmissionLimits.maxLines)") }
        if request.districtIds.count > SubmissionLimits.maxLines { problems.add("district_ids", "at most \(SubmissionLimits.maxLines)") }
        try problems.check()
        return try await pool.transaction { tx in
            var response = Xsc_Orders_V1_CheckCampaignPricesResponse()
            let known = try await catalog.guidedPrices(skus: request.skuIds, in: tx)
            for sku in request.skuIds {
                var price = Xsc_Orders_V1_CampaignSkuPrice()
                price.skuId = sku
                if let found = known[sku] {
                    price.known = true
                    price.active = found.active
                    price.guidedMaxFen = found.guidedFen ?? 0
                }
                response.skus.append(price)
            }
            for district in request.districtIds {
                var answer = Xsc_Orders_V1_CampaignDistrict()
                answer.districtId = district
                if let routing = try await catalog.routing(district: district, in: tx) {
                    answer.known = true
                    answer.regionId = routing.regionID
                    answer.creditedTeamPath = routing.creditedTeamPath
                    answer.dealerAccountIds = routing.dealers
                }
                response.districts.append(answer)
            }
            return response
        }
    }

    /// One participation of a succeeded campaign becomes an order (idempotent on the
    /// participation id: a redelivery answers the same order with `existing`).
    public func placeCampaignOrder(_ request: Xsc_Orders_V1_PlaceCampaignOrderRequest,
                                   actor: VerifiedActor) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        try Self.requireCampaigns(actor)
        var submission = Xsc_Orders_V1_SubmitOrderRequest()
        submission.source = .groupbuyPlatform
        submission.partnerId = Self.campaignsActorID
        submission.externalId = request.participationId
        submission.referrerCode = request.leaderAccountId
        var customer = Xsc_Orders_V1_Customer()
        customer.name = request.customerName
        customer.phone = request.customerPhone
        customer.address = request.customerAddress
        submission.customer = customer
        submission.deliveryDistrictId = request.deliveryDistrictId
        submission.note = request.note
        submission.lines = request.lines.map { line in
            var message = Xsc_Orders_V1_OrderLine()
            message.skuId = line.skuId
            message.quantity = line.quantity
            message.unitPriceFen = line.unitPriceFen
            return message
        }
        let valid = try SubmissionValidation.validate(submission, actor: actor)
        return try await pool.transaction { tx in
            guard let routing = try await catalog.routing(district: valid.districtID, in: tx) else {
                throw FieldViolations.error("delivery_district_id", "unknown district \(valid.districtID)")
            }
            let guided = try await catalog.guidedPrices(skus: valid.lines.map(\.skuID), in: tx)
            let lines = try Self.campaignLines(valid, guided: guided)
            let now = clock()
            let id = UUID().uuidString.lowercased()
            let total = lines.reduce(Int64(0)) { $0 + Int64($1.quantity) * $1.unitPriceFen }
            let fingerprint = Self.fingerprint(valid)
            let row = OrderStore.NewOrderRow(id: id, fingerprint: fingerprint, routing: routing, totalFen: total,
                                             submittedBy: actor.accountID, at: now)
            guard let code = try await store.insertOrder(valid, row, in: tx) else {
                guard let earlier = try await store.campaignOrderID(participationID: valid.externalID, partnerID: valid.partnerID, in: tx),
                      let order = try await store.lockForSystem(earlier, in: tx) else {
                    throw RPCError(code: .aborted, message: "the order changed concurrently; retry the call")
                }
                var response = Xsc_Orders_V1_SubmitOrderResponse()
                response.order = order.message(access: .full)
                response.existing = true
                return response
            }
            var statements = store.lineStatements(orderID: id, lines)
            statements.append(store.eventStatement(orderID: id, kind: "submitted", from: .unspecified, to: .received,
                                                   actor: EventActor(actor), at: now,
                                                   detail: "groupbuy_platform campaign \(request.campaignId)"))
            _ = try await tx.run(statements)
            let order = OrderRecord(id: id, code: code, valid: valid, routing: routing, lines: lines, totalFen: total,
                                    submittedBy: actor.accountID, at: now)
            // From here the order is like any other: the office leads are prompted and the
            // five-minute clock runs.
            try await notifier.prompt("order_new_lead", to: routing.officeLeads, order: order, in: tx)
            try await deadlines.start(.acknowledge, orderID: id, routing: routing, now: now, in: tx)
            try await publisher.orderSubmitted(order, submitter: SubmitterFacts(accountID: actor.accountID, isSalesperson: false), in: tx)
            var response = Xsc_Orders_V1_SubmitOrderResponse()
            response.order = order.message(access: .full)
            return response
        }
    }

    /// The campaign's prices, each checked against HQ's guided maximum again (it may have been
    /// lowered since the campaign was created: then the order is refused, never sold above it).
    static func campaignLines(_ valid: ValidSubmission,
                              guided: [String: (active: Bool, guidedFen: Int64?)]) throws -> [OrderRecord.Line] {
        var problems = FieldViolations()
        var lines: [OrderRecord.Line] = []
        for (index, line) in valid.lines.enumerated() {
            let field = "lines[\(index)]"
            guard let known = guided[line.skuID] else {
                problems.add(field + ".sku_id", "unknown SKU \(line.skuID)")
                continue
            }
            guard let maximum = known.guidedFen else {
                problems.add(field + ".sku_id", "SKU \(line.skuID) has no guided price")
                continue
            }
            if line.unitPriceFen <= 0 || line.unitPriceFen > maximum {
                problems.add(field + ".unit_price_fen", "a campaign price between 1 and the guided maximum \(maximum) fen")
            }
            lines.append(.init(lineNo: index + 1, skuID: line.skuID, quantity: line.quantity, unitPriceFen: line.unitPriceFen,
                               actualQuantity: 0))
        }
        try problems.check()
        return lines
    }

    /// The participant collected the goods with the right code: the order is closed as a
    /// return visit closes it (actual = ordered), which sends OrderVisited to settlements - the
    /// leader's commission accrues there on collected orders only. An accepted order is first
    /// marked delivered (the goods were at the pickup point). Redelivery: a visited order is
    /// answered as it is.
    public func recordCampaignPickup(_ request: Xsc_Orders_V1_RecordCampaignPickupRequest,
                                     actor: VerifiedActor) async throws -> Xsc_Orders_V1_Order {
        try Self.requireCampaigns(actor)
        var problems = FieldViolations()
        if request.participationId.isEmpty { problems.add("participation_id", "required") }
        if request.verifiedBy.isEmpty { problems.add("verified_by", "required") }
        try problems.check()
        return try await pool.transaction { tx in
            guard let id = try await store.campaignOrderID(participationID: request.participationId, partnerID: Self.campaignsActorID, in: tx),
                  var order = try await store.lockForSystem(id, in: tx) else {
                throw RPCError.orderNotFound(request.participationId)
            }
            if order.state == .visited || order.state == .refunded { return order.message(access: .full) }
            let who = EventActor(accountID: request.verifiedBy, role: "pickup_verifier")
            let at = min(max(request.collectedAtMs > 0 ? request.collectedAtMs : clock(), order.updatedAtMillis), clock())
            if order.state == .accepted {
                _ = try await apply(.markDelivered, to: order, actor: who, detail: "collected at the pickup point", at: at, in: tx,
                                    authorize: { _, _ in }, change: { _ in }, effects: { _, _, _ in })
                guard let reloaded = try await store.lockForSystem(id, in: tx) else { throw RPCError.orderNotFound(request.participationId) }
                order = reloaded
            }
            return try await apply(.recordReturnVisit, to: order, actor: who, detail: "pickup code verified", at: at, in: tx,
                                   authorize: { _, _ in }, change: { order in
                for index in order.lines.indices { order.lines[index].actualQuantity = order.lines[index].quantity }
                order.actualTotalFen = order.totalFen
                order.visitedAtMillis = order.updatedAtMillis
            }, effects: { order, _, tx in
                try await deadlines.finishAll(orderID: order.id, in: tx)
                try await store.recordActualQuantities(order, in: tx)
                try await publisher.visited(order, by: request.verifiedBy, in: tx)
            })
        }
    }
}
