import DomainKit
import Messages

/// A join whose fields passed the checks that need no database.
struct ValidJoin: Sendable, Equatable {
    struct Line: Sendable, Equatable {
        var skuID: String
        var quantity: Int32
    }

    var campaignID: String
    var shareCode: String
    var customerName: String
    var customerPhone: String
    var pickupPointID: String
    /// Sorted by SKU: every join locks product rows in the same order (no deadlocks).
    var lines: [Line]
}

enum JoinValidation {
    static let maxQuantity: Int32 = 10_000

    static func validate(_ request: Xsc_Campaigns_V1_JoinCampaignRequest) throws -> ValidJoin {
        var problems = FieldViolations()
        let campaignID = request.campaignId.trimmedForPeople
        let shareCode = request.shareCode.trimmedForPeople.uppercased()
        if campaignID.isEmpty == shareCode.isEmpty { problems.add("campaign_id", "give the campaign id or its share code (one of them)") }
        if campaignID.count > CampaignLimits.idLength { problems.add("campaign_id", "at most \(CampaignLimits.idLength) characters") }
        if shareCode.count > CampaignLimits.idLength { problems.add("share_code", "at most \(CampaignLimits.idLength) characters") }
        let name = request.customerName.trimmedForPeople
        problems.add("customer_name", ifProblem: PeopleText.problem(with: name, maxLength: CampaignLimits.nameLength))
        let phone = MainlandPhone.normaliseMobile(request.customerPhone)
        if phone == nil { problems.add("customer_phone", "give a mainland mobile number: 11 digits starting 13-19, optionally with +86") }
        let point = request.pickupPointId.trimmedForPeople
        CampaignValidation.checkID(point, field: "pickup_point_id", into: &problems)
        if request.lines.isEmpty || request.lines.count > CampaignLimits.maxProducts {
            problems.add("lines", "1 to \(CampaignLimits.maxProducts) lines")
        }
        var seen = Set<String>()
        var lines: [ValidJoin.Line] = []
        for (index, line) in request.lines.prefix(CampaignLimits.maxProducts).enumerated() {
            let sku = line.skuId.trimmedForPeople
            CampaignValidation.checkID(sku, field: "lines[\(index)].sku_id", into: &problems)
            if !sku.isEmpty && !seen.insert(sku).inserted { problems.add("lines[\(index)].sku_id", "SKU \(sku) appears twice") }
            if line.quantity < 1 || line.quantity > maxQuantity { problems.add("lines[\(index)].quantity", "between 1 and \(maxQuantity)") }
            lines.append(.init(skuID: sku, quantity: line.quantity))
        }
        try problems.check()
        return ValidJoin(campaignID: campaignID, shareCode: shareCode, customerName: name, customerPhone: phone ?? "",
                         pickupPointID: point, lines: lines.sorted { $0.skuID < $1.skuID })
    }
}
