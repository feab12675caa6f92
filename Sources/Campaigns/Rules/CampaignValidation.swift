import DomainKit
import Messages

/// A campaign whose fields passed the checks that need no peer: trimmed, within limits,
/// consistent. Guided maxima, districts and dealers are checked with orders next
/// (CampaignFlow+Create), the leader and verifiers with the directory.
struct ValidCampaign: Sendable, Equatable {
    struct Product: Sendable, Equatable {
        var skuID: String
        var name: String
        var priceFen: Int64
        var stockCap: Int32
        var perPersonLimit: Int32
    }

    struct Point: Sendable, Equatable {
        var id: String
        var name: String
        var address: String
        var districtID: String
        var dealerAccountID: String
        var hours: String
        var contactPhone: String
        var verifierAccountIDs: [String]
    }

    var title: String
    var leaderAccountID: String
    var products: [Product]
    var points: [Point]
    var startsAtMillis: Int64
    var deadlineMillis: Int64
    var minQuantity: Int32
}

enum CampaignLimits {
    static let idLength = 64
    static let titleLength = 100
    static let nameLength = 50
    /// A point's name and address become the order's delivery address ("自提：<name> <address>"),
    /// which the order area caps at 200 characters: 3 + 50 + 1 + 140 fit.
    static let addressLength = 140
    static let hoursLength = 100
    static let maxProducts = 20
    static let maxPoints = 50
    static let maxVerifiers = 20
    static let maxQuantity: Int32 = 1_000_000
    /// One bottle never costs more than 1,000,000 yuan (the order area's bound).
    static let maxPriceFen: Int64 = 100_000_000
    /// A campaign runs at most 90 days.
    static let maxDurationMillis: Int64 = 90 * 24 * 3600 * 1000
}

enum CampaignValidation {
    /// Every problem of the request at once. `now` bounds the deadline (it must lie ahead).
    static func validate(_ request: Xsc_Campaigns_V1_CreateCampaignRequest, now: Int64) throws -> ValidCampaign {
        var problems = FieldViolations()
        let campaign = request.campaign ?? Xsc_Campaigns_V1_Campaign()
        let title = campaign.title.trimmedForPeople
        problems.add("campaign.title", ifProblem: PeopleText.problem(with: title, maxLength: CampaignLimits.titleLength))
        let leader = campaign.leaderAccountId.trimmedForPeople
        checkID(leader, field: "campaign.leader_account_id", into: &problems)

        if campaign.products.isEmpty || campaign.products.count > CampaignLimits.maxProducts {
            problems.add("campaign.products", "a campaign sells 1 to \(CampaignLimits.maxProducts) products")
        }
        var products: [ValidCampaign.Product] = []
        var skus = Set<String>()
        for (index, product) in campaign.products.prefix(CampaignLimits.maxProducts).enumerated() {
            let field = "campaign.products[\(index)]"
            let sku = product.skuId.trimmedForPeople
            checkID(sku, field: field + ".sku_id", into: &problems)
            if !sku.isEmpty && !skus.insert(sku).inserted { problems.add(field + ".sku_id", "SKU \(sku) appears twice") }
            let name = product.name.trimmedForPeople
            problems.add(field + ".name", ifProblem: PeopleText.problem(with: name, maxLength: CampaignLimits.nameLength))
            if product.campaignPriceFen <= 0 || product.campaignPriceFen > CampaignLimits.maxPriceFen {
                problems.add(field + ".campaign_price_fen", "a price in fen between 1 and \(CampaignLimits.maxPriceFen)")
            }
            if product.stockCap < 0 || product.stockCap > CampaignLimits.maxQuantity {
                problems.add(field + ".stock_cap", "0 (no cap) to \(CampaignLimits.maxQuantity)")
            }
            if product.perPersonLimit < 0 || product.perPersonLimit > CampaignLimits.maxQuantity {
                problems.add(field + ".per_person_limit", "0 (no limit) to \(CampaignLimits.maxQuantity)")
            }
            products.append(.init(skuID: sku, name: name, priceFen: product.campaignPriceFen, stockCap: product.stockCap,
                                  perPersonLimit: product.perPersonLimit))
        }

        if campaign.pickupPoints.isEmpty || campaign.pickupPoints.count > CampaignLimits.maxPoints {
            problems.add("campaign.pickup_points", "a campaign has 1 to \(CampaignLimits.maxPoints) pickup points")
        }
        var points: [ValidCampaign.Point] = []
        var pointIDs = Set<String>()
        for (index, point) in campaign.pickupPoints.prefix(CampaignLimits.maxPoints).enumerated() {
            let field = "campaign.pickup_points[\(index)]"
            let id = point.pickupPointId.trimmedForPeople
            checkID(id, field: field + ".pickup_point_id", into: &problems)
            if !id.isEmpty && !pointIDs.insert(id).inserted { problems.add(field + ".pickup_point_id", "\(id) appears twice") }
            let name = point.name.trimmedForPeople
            problems.add(field + ".name", ifProblem: PeopleText.problem(with: name, maxLength: CampaignLimits.nameLength))
            let address = point.address.trimmedForPeople
            problems.add(field + ".address", ifProblem: PeopleText.problem(with: address, maxLength: CampaignLimits.addressLength))
            let district = point.districtId.trimmedForPeople
            checkID(district, field: field + ".district_id", into: &problems)
            let dealer = point.dealerAccountId.trimmedForPeople
            checkID(dealer, field: field + ".dealer_account_id", into: &problems)
            let hours = point.hours.trimmedForPeople
            problems.add(field + ".hours", ifProblem: PeopleText.problem(with: hours, maxLength: CampaignLimits.hoursLength))
            let phone = MainlandPhone.normalise(point.contactPhone)
            problems.add(field + ".contact_phone", ifProblem: MainlandPhone.problem(with: point.contactPhone))
            if point.verifierAccountIds.count > CampaignLimits.maxVerifiers {
                problems.add(field + ".verifier_account_ids", "at most \(CampaignLimits.maxVerifiers)")
            }
            let verifiers = point.verifierAccountIds.prefix(CampaignLimits.maxVerifiers).map(\.trimmedForPeople)
            for (vIndex, verifier) in verifiers.enumerated() {
                checkID(verifier, field: field + ".verifier_account_ids[\(vIndex)]", into: &problems)
            }
            points.append(.init(id: id, name: name, address: address, districtID: district, dealerAccountID: dealer, hours: hours,
                                contactPhone: phone ?? "", verifierAccountIDs: Array(Set(verifiers)).sorted()))
        }

        let starts = campaign.startsAtMs == 0 ? now : campaign.startsAtMs
        if campaign.deadlineMs <= now { problems.add("campaign.deadline_ms", "must lie in the future") }
        if campaign.deadlineMs <= starts { problems.add("campaign.deadline_ms", "must come after starts_at_ms") }
        if campaign.deadlineMs - starts > CampaignLimits.maxDurationMillis {
            problems.add("campaign.deadline_ms", "a campaign runs at most 90 days")
        }
        if campaign.minQuantity < 1 || campaign.minQuantity > CampaignLimits.maxQuantity {
            problems.add("campaign.min_quantity", "1 to \(CampaignLimits.maxQuantity) units (成团)")
        }
        // These texts are SMS parameters (campaign_succeeded / campaign_failed): no braces.
        if title.contains("{") || title.contains("}") { problems.add("campaign.title", "must not contain braces") }
        for (index, point) in points.enumerated() where (point.name + point.address + point.hours).contains(where: { $0 == "{" || $0 == "}" }) {
            problems.add("campaign.pickup_points[\(index)]", "name, address and hours must not contain braces")
        }
        try problems.check()
        return ValidCampaign(title: title, leaderAccountID: leader, products: products, points: points, startsAtMillis: starts,
                             deadlineMillis: campaign.deadlineMs, minQuantity: campaign.minQuantity)
    }

    static func checkID(_ value: String, field: String, into problems: inout FieldViolations) {
        // The lookup shape (LookupField.Shape.key: ASCII letters, digits, - _ . : @), so an id
        // stored here is one the handlers' shape check lets through when it is looked up.
        if value.utf8.count > CampaignLimits.idLength {
            problems.add(field, "at most \(CampaignLimits.idLength) characters")
        } else {
            problems.add(field, ifProblem: LookupField.problem(value, CampaignLookup.pointID))
        }
    }
}
