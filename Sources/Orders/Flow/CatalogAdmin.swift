import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// HQ's catalog and guided prices, a region's own list prices ("完全按照当地价格体系": HQ or
/// the region's manager, never above HQ's guided maximum) and the district routing (HQ),
/// checked against the organisation as orders' directory knows it.
extension OrderFlow {
    public func upsertSKU(_ request: Xsc_Orders_V1_UpsertSkuRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_Sku {
        try Self.requireAdmin(actor)
        let sku = request.sku ?? Xsc_Orders_V1_Sku()
        var problems = FieldViolations()
        let id = sku.skuId.trimmedForPeople
        let name = sku.name.trimmedForPeople
        let unit = sku.unit.trimmedForPeople
        Self.checkID(id, field: "sku.sku_id", into: &problems)
        if name.isEmpty || name.count > 200 { problems.add("sku.name", "1 to 200 characters") }
        if unit.count > 20 { problems.add("sku.unit", "at most 20 characters") }
        try problems.check()
        try await pool.transaction { tx in
            try await catalog.upsertSKU(id: id, name: name, unit: unit, active: sku.active, at: clock(), in: tx)
        }
        var answer = sku
        answer.skuId = id
        answer.name = name
        answer.unit = unit
        return answer
    }

    public func setRegionPrice(_ request: Xsc_Orders_V1_SetRegionPriceRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_PriceResponse {
        try Self.requireRegionOrHQ(actor, region: request.regionId, what: "a region's list prices")
        var problems = FieldViolations()
        Self.checkID(request.regionId, field: "region_id", into: &problems)
        Self.checkPrice(request.priceFen, field: "price_fen", into: &problems)
        try problems.check()
        return try await setPrice(sku: request.skuId, region: request.regionId, fen: request.priceFen) { tx in
            if let guided = try await catalog.guidedPrice(sku: request.skuId, in: tx), request.priceFen > guided {
                throw DomainErrors.refused(.failedPrecondition,
                                           "\(request.priceFen) fen is above HQ's guided maximum of \(guided) fen for \(request.skuId); "
                                           + "set a price at or below it", reason: "ABOVE_GUIDED_PRICE")
            }
            try await catalog.setRegionPrice(region: request.regionId, sku: request.skuId, fen: request.priceFen, at: clock(), in: tx)
        }
    }

    /// HQ, or the regional manager of `region` (its node is in that region).
    static func requireRegionOrHQ(_ actor: VerifiedActor, region: String, what: String) throws {
        if actor.role == .admin { return }
        guard actor.isRegionalManager, actor.regionCode == region, !region.isEmpty else {
            throw RPCError.notAllowed("only HQ or the region's manager sets \(what)")
        }
    }

    public func setGuidedPrice(_ request: Xsc_Orders_V1_SetGuidedPriceRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_PriceResponse {
        try Self.requireAdmin(actor)
        var problems = FieldViolations()
        Self.checkPrice(request.maxPriceFen, field: "max_price_fen", into: &problems)
        try problems.check()
        return try await setPrice(sku: request.skuId, region: "", fen: request.maxPriceFen) { tx in
            let above = try await catalog.regionsPricedAbove(sku: request.skuId, fen: request.maxPriceFen, in: tx)
            guard above.isEmpty else {
                throw DomainErrors.refused(.failedPrecondition,
                                           "the list price of \(request.skuId) in \(above.joined(separator: ", ")) is above \(request.maxPriceFen) fen; "
                                           + "lower those lists first", reason: "REGION_PRICE_ABOVE_GUIDED")
            }
            try await catalog.setGuidedPrice(sku: request.skuId, fen: request.maxPriceFen, at: clock(), in: tx)
        }
    }

    private func setPrice(sku: String, region: String, fen: Int64, _ write: (PostgresTransaction) async throws -> Void) async throws -> Xsc_Orders_V1_PriceResponse {
        try await pool.transaction { tx in
            guard try await catalog.skuExists(sku, in: tx) else {
                throw FieldViolations.error("sku_id", "unknown SKU \(sku.prefix(64))")
            }
            try await write(tx)
        }
        var response = Xsc_Orders_V1_PriceResponse()
        response.skuId = sku
        response.regionId = region
        response.priceFen = fen
        return response
    }

    public func setDistrictRouting(_ request: Xsc_Orders_V1_SetDistrictRoutingRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_SetDistrictRoutingResponse {
        try Self.requireAdmin(actor)
        let given = request.routing ?? Xsc_Orders_V1_DistrictRouting()
        var problems = FieldViolations()
        Self.checkID(given.districtId, field: "routing.district_id", into: &problems)
        Self.checkID(given.regionId, field: "routing.region_id", into: &problems)
        Self.checkID(given.officeId, field: "routing.office_id", into: &problems)
        let path = given.creditedTeamPath
        if !path.hasPrefix("/") || path.count > 200 || path.hasSuffix("/") || path.contains("//") {
            problems.add("routing.credited_team_path", "a node path like /hq/cq/cq-o1/cq-o1-d3/t7")
        }
        if given.officeLeadAccountIds.isEmpty { problems.add("routing.office_lead_account_ids", "at least one office-level order lead") }
        let groups = [("office_lead_account_ids", given.officeLeadAccountIds), ("district_lead_account_ids", given.districtLeadAccountIds),
                      ("dealer_account_ids", given.dealerAccountIds), ("escalation_account_ids", given.escalationAccountIds)]
        for (field, accounts) in groups {
            if accounts.count > 50 { problems.add("routing." + field, "at most 50 accounts") }
            if Set(accounts).count != accounts.count { problems.add("routing." + field, "an account is listed twice") }
            for (index, account) in accounts.enumerated() { Self.checkID(account, field: "routing.\(field)[\(index)]", into: &problems) }
        }
        if given.slaSeconds < 0 || given.slaSeconds > 24 * 3600 { problems.add("routing.sla_seconds", "0 (five minutes) to 86400") }
        try problems.check()
        try await checkAgainstOrganisation(given, into: &problems)
        try problems.check()
        let routing = Routing(districtID: given.districtId, regionID: given.regionId, officeID: given.officeId, creditedTeamPath: path,
                              officeLeads: given.officeLeadAccountIds, districtLeads: given.districtLeadAccountIds,
                              dealers: given.dealerAccountIds, escalation: given.escalationAccountIds,
                              slaSeconds: given.slaSeconds == 0 ? Routing.defaultSLASeconds : Int(given.slaSeconds))
        try await pool.transaction { tx in try await catalog.setRouting(routing, at: clock(), in: tx) }
        var response = Xsc_Orders_V1_SetDistrictRoutingResponse()
        var echoed = given
        echoed.slaSeconds = Int32(routing.slaSeconds)
        response.routing = echoed
        return response
    }

    static func requireAdmin(_ actor: VerifiedActor) throws {
        guard actor.role == .admin else { throw RPCError.notAllowed("only HQ administrators change the catalog, prices and routing") }
    }

    static func checkID(_ value: String, field: String, into problems: inout FieldViolations) {
        if value.isEmpty || value.count > SubmissionLimits.idLength || value.contains(where: { $0.isWhitespace }) {
            problems.add(field, "1 to \(SubmissionLimits.idLength) characters, no spaces")
        }
    }

    static func checkPrice(_ fen: Int64, field: String, into problems: inout FieldViolations) {
        if fen <= 0 || fen > SubmissionLimits.maxUnitPriceFen { problems.add(field, "a price in fen from 1 to \(SubmissionLimits.maxUnitPriceFen)") }
    }
}
