import DomainKit
import Foundation
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Intake: validation, pricing, routing, idempotency, the first event, the office leads'
/// SMS prompts and the acknowledgement deadline - one transaction.
extension OrderFlow {
    /// Submits one order. Idempotent on `idempotencyKey` (same key + same request -> the
    /// first answer; different request -> FAILED_PRECONDITION) and on (source, partner,
    /// external_id) (same order again -> it, with `existing`; another order -> ALREADY_EXISTS).
    /// "Same request" is the same normalised submission (`fingerprint`: "+86 138..." and
    /// "138..." alike), whose bytes the intake encodes anyway for the order's row.
    public func submit(_ request: Xsc_Orders_V1_SubmitOrderRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        try await submission(request, actor: actor, idempotencyKey: idempotencyKey).response
    }

    /// What `submit` answers, with the answer's encoding when the intake made one (for an
    /// idempotency key's row): the handler sends those bytes instead of encoding it again.
    public struct SubmissionAnswer: Sendable {
        public var response: Xsc_Orders_V1_SubmitOrderResponse
        public var encoded: [UInt8]?
    }

    /// `submit`, with the answer's encoding when there is one.
    public func submission(_ request: Xsc_Orders_V1_SubmitOrderRequest, actor: VerifiedActor,
                           idempotencyKey: String?) async throws -> SubmissionAnswer {
        guard actor.role != .system else { throw RPCError.notAllowed("the system account does not submit orders") }
        let valid = try await resolvingReferrer(try SubmissionValidation.validate(request, actor: actor))
        // A promotion-expense order also checks and charges its plan: the full path below.
        if valid.promotionPlanID.isEmpty {
            do {
                return try await submitNew(valid, request: request, actor: actor, idempotencyKey: idempotencyKey)
            } catch where OrderStore.isExternalIDTaken(error) || IdempotencyStore.isKeyTaken(error) {
                // The external id names an order already, or the idempotency key was taken (a
                // retry, or a concurrent twin that committed first): the write wrote nothing;
                // answer as a resubmission does (the earlier order, or the key's replayed
                // answer). Not ahead of other callers: such twins queue on the earlier order's
                // row lock, and holding the pool's connections for that would starve everyone.
            } catch let error as RPCError where idempotencyKey != nil && error.code == .invalidArgument {
                // Refused before writing (a SKU no longer sold, a price changed): the key may
                // hold an earlier answer, which a retry must get instead. The path below
                // replays it, or refuses again when the key is new.
            }
        }
        let response = try await pool.transaction { tx in
            if let idempotencyKey {
                return try await idempotency.run(in: tx, scope: Self.idempotencyScope(actor), key: idempotencyKey,
                                                 requestBytes: Self.fingerprint(valid)) {
                    try await insert(valid, actor: actor, in: tx)
                }
            }
            return try await insert(valid, actor: actor, in: tx)
        }
        return SubmissionAnswer(response: response, encoded: nil)
    }

    static func idempotencyScope(_ actor: VerifiedActor) -> String { "orders.SubmitOrder/" + actor.accountID }

    /// A new order in ONE statement and round trip when the district's routing and the SKUs'
    /// prices are cached for the current catalog version and a code is at hand
    /// (`IntakeCatalogCache`, `OrderCodeBlocks`); otherwise one read first
    /// (`CatalogStore.intakeReadStatement`: routing, prices, a code and the version, which fills
    /// the cache) or a block of codes. The write is ONE statement (`StatementFusion`, its own
    /// implicit transaction): the order, its lines and event, the SMS prompts, the events for
    /// other services, the channel-conflict flags, the deadline and the key with its answer,
    /// written only while the catalog is still at the version used (else nothing is written,
    /// the cache is forgotten and the order is priced and routed again). Same rows and
    /// semantics as `insert` under `idempotency.run`. The key is not read first: a retry (or a
    /// concurrent twin) fails the write's plain INSERT of the key (or of the external id), the
    /// statement writes nothing, and `submit` answers through that path, which replays or
    /// refuses. Each round trip holds a pooled connection for itself only (`pool.run`).
    private func submitNew(_ valid: ValidSubmission, request: Xsc_Orders_V1_SubmitOrderRequest, actor: VerifiedActor,
                           idempotencyKey: String?) async throws -> SubmissionAnswer {
        if let idempotencyKey { try IdempotencyStore.check(key: idempotencyKey) }
        let skus = valid.lines.map(\.skuID)
        let rule = valid.source.priceRule
        var attempt = 0
        while true {
            attempt += 1
            var readCode: String?
            let facts: IntakeCatalogCache.Facts
            if let cached = intakeCatalog.facts(district: valid.districtID, skus: skus, rule: rule) {
                facts = cached
            } else {
                let read = catalog.intakeReadStatement(district: valid.districtID, skus: skus, rule: rule)
                let found = try catalog.intakeReads(district: valid.districtID, from: try await pool.run([read])[0])
                guard let routing = found.routing else {
                    throw FieldViolations.error("delivery_district_id", "unknown district \(valid.districtID)")
                }
                guard let version = found.version, let fresh = found.code else {
                    throw PostgresError(.usage, "the intake's read answered no catalog version or order code")
                }
                facts = .init(version: version, routing: routing, prices: skus.map { found.prices[$0] })
                readCode = fresh
                // Only a complete answer is kept: an unknown SKU is refused below, every time.
                if facts.prices.allSatisfy({ $0 != nil }) {
                    intakeCatalog.remember(facts, skus: skus, district: valid.districtID, rule: rule)
                }
            }
            let lines = try pricedLines(valid, routing: facts.routing, prices: facts.prices)
            // A code only once the order is valid (a refused one would leave a gap).
            var code = readCode ?? orderCodes.take()
            if code == nil {
                let block = try await pool.run([OrderStore.codeBlockStatement(count: orderCodes.blockSize)])[0]
                var fresh = try block.map { try $0.decode(String.self, at: 0) }
                code = fresh.popLast()
                orderCodes.add(fresh)
            }
            guard let code else { throw PostgresError(.usage, "the order code sequence answered nothing") }
            do {
                return try await write(valid, request: request, actor: actor, idempotencyKey: idempotencyKey, code: code,
                                       lines: lines, facts: facts)
            } catch where CatalogStore.isStaleVersion(error) {
                // The catalog changed since it was cached: nothing was written; read it again.
                // The code was not used (the statement wrote nothing): keep it.
                intakeCatalog.forget()
                orderCodes.add([code])
                guard attempt < 3 else {
                    throw RPCError(code: .aborted, message: "the catalog kept changing during the order; retry the call")
                }
            }
        }
    }

    /// The write of `submitNew`: one statement.
    private func write(_ valid: ValidSubmission, request: Xsc_Orders_V1_SubmitOrderRequest, actor: VerifiedActor,
                       idempotencyKey: String?, code: String, lines: [OrderRecord.Line],
                       facts: IntakeCatalogCache.Facts) async throws -> SubmissionAnswer {
        let routing = facts.routing
        let now = clock()
        let order = OrderRecord(id: newID(), code: code, valid: valid, routing: routing, lines: lines,
                                totalFen: lines.reduce(Int64(0)) { $0 + Int64($1.quantity) * $1.unitPriceFen },
                                submittedBy: actor.accountID, at: now)
        var response = Xsc_Orders_V1_SubmitOrderResponse()
        response.order = order.message(access: actor.role == .partner ? .partner : .full)
        var write = StatementFusion(shapes: intakeWriteShapes)
        let fingerprint = Self.fingerprint(valid)
        store.insertParts(order, requestFingerprint: fingerprint, note: valid.note, actor: EventActor(actor),
                          catalogVersion: facts.version, into: &write)
        write.append(contentsOf: notifier.promptStatements("order_new_lead", to: routing.officeLeads, order: order))
        write.append(contentsOf: publisher.orderSubmittedStatements(order, submitter: SubmitterFacts(accountID: actor.accountID,
                                                                                                     isSalesperson: actor.isSalesperson)))
        write.append(contentsOf: Self.channelConflictStatements(order))
        write.append(try deadlines.startStatement(.acknowledge, orderID: order.id, routing: routing, now: now))
        var encoded: [UInt8]?
        if let idempotencyKey {
            let answer = response.serializedBytes()
            encoded = answer
            write.append(idempotency.answeredInsertStatement(scope: Self.idempotencyScope(actor), key: idempotencyKey,
                                                             request: fingerprint,
                                                             answer: .init(response: answer)))
        }
        guard let statement = write.statement() else { return SubmissionAnswer(response: response, encoded: encoded) }
        try await pool.run([statement], continuing: true)
        return SubmissionAnswer(response: response, encoded: encoded)
    }

    /// The order's lines at the channel's prices (`prices[i]`: line i's SKU, nil when unknown);
    /// every unknown, inactive or unpriced SKU and every wrong price is reported at once.
    private func pricedLines(_ valid: ValidSubmission, routing: Routing,
                             prices: [(active: Bool, priceFen: Int64?)?]) throws -> [OrderRecord.Line] {
        var problems = FieldViolations()
        let rule = valid.source.priceRule
        var lines: [OrderRecord.Line] = []
        lines.reserveCapacity(valid.lines.count)
        for (index, line) in valid.lines.enumerated() {
            // Spelled only for a problem: most orders have none.
            var field: String { "lines[\(index)]" }
            guard let known = prices[index] else {
                problems.add(field + ".sku_id", "unknown SKU \(line.skuID)")
                continue
            }
            guard known.active else {
                problems.add(field + ".sku_id", "SKU \(line.skuID) is no longer sold")
                continue
            }
            guard let price = known.priceFen else {
                problems.add(field + ".sku_id", rule == .guidedMaximum
                             ? "SKU \(line.skuID) has no guided price yet, so malls cannot sell it"
                             : "SKU \(line.skuID) has no list price in region \(routing.regionID)")
                continue
            }
            if line.unitPriceFen != 0 && line.unitPriceFen != price {
                problems.add(field + ".unit_price_fen", rule == .guidedMaximum
                             ? "mall orders are priced at the guided maximum: \(price) fen"
                             : "must be the region's list price: \(price) fen")
            }
            lines.append(.init(lineNo: index + 1, skuID: line.skuID, quantity: line.quantity, unitPriceFen: price, actualQuantity: 0))
        }
        try problems.check()
        return lines
    }

    /// The resubmission path (and the path after a lost race for an external id): the order
    /// INSERT does nothing when the external id is taken, and the earlier order answers.
    private func insert(_ valid: ValidSubmission, actor: VerifiedActor, in tx: PostgresTransaction) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        guard let routing = try await catalog.routing(district: valid.districtID, in: tx) else {
            throw FieldViolations.error("delivery_district_id", "unknown district \(valid.districtID)")
        }
        let prices = try await catalog.prices(skus: valid.lines.map(\.skuID), region: routing.regionID,
                                              rule: valid.source.priceRule, in: tx)
        let lines = try pricedLines(valid, routing: routing, prices: valid.lines.map { prices[$0.skuID] })

        let now = clock()
        let id = newID()
        let total = lines.reduce(Int64(0)) { $0 + Int64($1.quantity) * $1.unitPriceFen }
        let fingerprint = Self.fingerprint(valid)
        let newRow = OrderStore.NewOrderRow(id: id, fingerprint: fingerprint, routing: routing, totalFen: total,
                                            submittedBy: actor.accountID, at: now)
        guard let code = try await store.insertOrder(valid, newRow, in: tx) else {
            return try await existing(valid, fingerprint: fingerprint, actor: actor, in: tx)
        }
        if !valid.promotionPlanID.isEmpty {
            try await admitPromotionOrder(plan: valid.promotionPlanID, routing: routing, actor: actor, at: now, in: tx)
        }
        var statements = store.lineStatements(orderID: id, lines)
        statements.append(store.eventStatement(orderID: id, kind: "submitted", from: .unspecified, to: .received,
                                               actor: EventActor(actor), at: now, detail: valid.source.storedName))
        _ = try await tx.run(statements)
        let order = OrderRecord(id: id, code: code, valid: valid, routing: routing, lines: lines,
                                totalFen: total, submittedBy: actor.accountID, at: now)
        try await notifier.prompt("order_new_lead", to: routing.officeLeads, order: order, in: tx)
        try await deadlines.start(.acknowledge, orderID: id, routing: routing, now: now, in: tx)
        try await publisher.orderSubmitted(order, submitter: SubmitterFacts(accountID: actor.accountID, isSalesperson: actor.isSalesperson), in: tx)
        _ = try await tx.run(Self.channelConflictStatements(order))
        var response = Xsc_Orders_V1_SubmitOrderResponse()
        response.order = order.message(access: actor.role == .partner ? .partner : .full)
        return response
    }

    /// The earlier order with the same (source, partner, external_id): returned when it is the
    /// same order, refused when the external id now names a different one.
    private func existing(_ valid: ValidSubmission, fingerprint: [UInt8], actor: VerifiedActor,
                          in tx: PostgresTransaction) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        guard let holder = try await store.orderHoldingExternalID(valid, fingerprint: fingerprint, in: tx) else {
            throw RPCError(code: .aborted, message: "the order changed concurrently; retry the call")
        }
        guard holder.sameRequest else {
            throw RPCError.orders(.alreadyExists, "external_id \(valid.externalID) was already used for a different order",
                                  reason: OrderErrorReason.externalIDReused)
        }
        let id = holder.id
        guard let order = try await store.lockForSystem(id, in: tx) else {
            throw RPCError(code: .aborted, message: "the order changed concurrently; retry the call")
        }
        var response = Xsc_Orders_V1_SubmitOrderResponse()
        // The caller sent this very order, so it may see what it sent.
        response.order = order.message(access: actor.role == .partner ? .partner : .full)
        response.existing = true
        return response
    }

    /// The normalised submission's bytes: two submissions that normalise alike are the same
    /// order ("+86 138..." and "138..." included).
    static func fingerprint(_ valid: ValidSubmission) -> [UInt8] {
        var canonical = Xsc_Orders_V1_SubmitOrderRequest()
        canonical.source = valid.source
        canonical.partnerId = valid.partnerID
        canonical.externalId = valid.externalID
        canonical.referrerCode = valid.referrerCode
        var customer = Xsc_Orders_V1_Customer()
        customer.name = valid.customerName
        customer.phone = valid.customerPhone
        customer.address = valid.customerAddress
        canonical.customer = customer
        canonical.deliveryDistrictId = valid.districtID
        canonical.note = valid.note
        canonical.promotionPlanId = valid.promotionPlanID
        canonical.lines = valid.lines.map { line in
            var message = Xsc_Orders_V1_OrderLine()
            message.skuId = line.skuID
            message.quantity = line.quantity
            message.unitPriceFen = line.unitPriceFen
            return message
        }
        return canonical.serializedBytes()
    }
}

extension OrderRecord {
    /// A freshly inserted order.
    init(id: String, code: String, valid: ValidSubmission, routing: Routing, lines: [Line], totalFen: Int64,
         submittedBy: String, at: Int64) {
        self.id = id
        self.code = code
        source = valid.source
        partnerID = valid.partnerID
        externalID = valid.externalID
        referrerCode = valid.referrerCode
        customerName = valid.customerName
        customerPhone = valid.customerPhone
        customerAddress = valid.customerAddress
        districtID = valid.districtID
        regionID = routing.regionID
        officeID = routing.officeID
        creditedTeamPath = routing.creditedTeamPath
        state = .received
        assigneeAccountID = ""
        assigneeKind = ""
        acknowledgedBy = ""
        self.totalFen = totalFen
        actualTotalFen = 0
        evaluationScore = 0
        evaluationText = ""
        self.submittedBy = submittedBy
        createdAtMillis = at
        updatedAtMillis = at
        promotionPlanID = valid.promotionPlanID
        self.lines = lines
    }
}
