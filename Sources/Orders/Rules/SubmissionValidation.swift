import DomainKit
import Messages
import ServiceKit

/// A submission whose fields passed the checks that need no database: trimmed, normalised,
/// within size limits. Catalog, routing and price checks follow in `OrderIntake`.
struct ValidSubmission: Sendable {
    struct Line: Sendable, Equatable {
        var skuID: String
        var quantity: Int32
        /// 0 when the caller left it to the channel's price.
        var unitPriceFen: Int64
    }

    var source: OrderSource
    var partnerID: String
    var externalID: String
    var referrerCode: String
    var customerName: String
    var customerPhone: String
    var customerAddress: String
    var districtID: String
    var lines: [Line]
    var note: String
    /// Empty unless this is a promotion-expense order.
    var promotionPlanID: String = ""
}

/// The limits a submission must keep (messages name them, so callers can fix their input).
enum SubmissionLimits {
    static let idLength = 64
    static let nameLength = 50
    static let addressLength = 200
    static let noteLength = 500
    static let maxLines = 50
    static let quantity: ClosedRange<Int32> = 1...10_000
    /// One bottle never costs more than 1,000,000 yuan; beyond that it is a typo.
    static let maxUnitPriceFen: Int64 = 100_000_000
}

enum SubmissionValidation {
    /// Checks every field and reports every problem at once. A partner caller submits as
    /// itself, on the channel its key is scoped to.
    static func validate(_ request: Xsc_Orders_V1_SubmitOrderRequest, actor: VerifiedActor) throws -> ValidSubmission {
        var problems = FieldViolations()
        let partnerActor = actor.role == .partner ? actor.accountID : nil
        let source = request.source
        if !OrderSource.known.contains(source) {
            problems.add("source", "choose one of self, mall, groupbuy_platform, alliance, phone, sms")
        } else if partnerActor != nil && !actor.partnerChannel.isEmpty && source.storedName != actor.partnerChannel {
            problems.add("source", "this partner key submits \(actor.partnerChannel) orders only")
        }
        var partnerID = request.partnerId.trimmedForPeople
        if let partnerActor {
            if !partnerID.isEmpty && partnerID != partnerActor {
                problems.add("partner_id", "a partner submits its own orders: leave partner_id empty or give your own account id")
            }
            partnerID = partnerActor
        }
        let externalID = request.externalId.trimmedForPeople
        let referrerCode = request.referrerCode.trimmedForPeople
        checkID(partnerID, field: "partner_id", required: source == .mall || source == .groupbuyPlatform, into: &problems)
        checkID(externalID, field: "external_id", required: source == .mall || source == .groupbuyPlatform, into: &problems)
        checkID(referrerCode, field: "referrer_code", required: source == .alliance, into: &problems)

        let customer = request.customer ?? Xsc_Orders_V1_Customer()
        let name = customer.name.trimmedForPeople
        checkText(name, field: "customer.name", limit: SubmissionLimits.nameLength, into: &problems)
        let address = customer.address.trimmedForPeople
        checkText(address, field: "customer.address", limit: SubmissionLimits.addressLength, into: &problems)
        let phone = MainlandPhone.normaliseMobile(customer.phone)
        if phone == nil {
            problems.add("customer.phone", "give a mainland mobile number: 11 digits starting 13-19, optionally with +86")
        }
        let districtID = request.deliveryDistrictId.trimmedForPeople
        checkID(districtID, field: "delivery_district_id", required: true, into: &problems)
        let note = request.note.trimmedForPeople
        if note.utf8.count > SubmissionLimits.noteLength && note.count > SubmissionLimits.noteLength {
            problems.add("note", "at most \(SubmissionLimits.noteLength) characters")
        }

        var lines: [ValidSubmission.Line] = []
        lines.reserveCapacity(min(request.lines.count, SubmissionLimits.maxLines))
        if request.lines.isEmpty || request.lines.count > SubmissionLimits.maxLines {
            problems.add("lines", "an order has 1 to \(SubmissionLimits.maxLines) lines")
        }
        for (index, line) in request.lines.prefix(SubmissionLimits.maxLines).enumerated() {
            // Built only for a problem: most orders have none.
            func field(_ name: String) -> String { "lines[\(index)]." + name }
            let sku = line.skuId.trimmedForPeople
            checkID(sku, field: field("sku_id"), required: true, into: &problems)
            // A scan of the lines so far (at most `maxLines`): cheaper than a Set for the few
            // lines of an order.
            if !sku.isEmpty && lines.contains(where: { $0.skuID == sku }) {
                problems.add(field("sku_id"), "SKU \(sku) appears twice: put its whole quantity on one line")
            }
            if !SubmissionLimits.quantity.contains(line.quantity) {
                problems.add(field("quantity"), "between 1 and 10000")
            }
            if line.unitPriceFen < 0 || line.unitPriceFen > SubmissionLimits.maxUnitPriceFen {
                problems.add(field("unit_price_fen"), "a price in fen between 1 and \(SubmissionLimits.maxUnitPriceFen), or 0 for the channel's price")
            }
            lines.append(.init(skuID: sku, quantity: line.quantity, unitPriceFen: line.unitPriceFen))
        }
        let plan = request.promotionPlanId.trimmedForPeople
        if !plan.isEmpty {
            checkID(plan, field: "promotion_plan_id", required: true, into: &problems)
            if source != .`self` { problems.add("promotion_plan_id", "promotion-expense orders are staff-created (source self)") }
            if partnerActor != nil { problems.add("promotion_plan_id", "partners do not submit promotion-expense orders") }
            if !referrerCode.isEmpty { problems.add("referrer_code", "promotion goods earn no referral reward: leave it empty") }
        }
        try problems.check()
        return ValidSubmission(source: source, partnerID: partnerID, externalID: externalID, referrerCode: referrerCode,
                               customerName: name, customerPhone: phone ?? "", customerAddress: address,
                               districtID: districtID, lines: lines, note: note, promotionPlanID: plan)
    }

    private static func checkID(_ value: String, field: @autoclosure () -> String, required: Bool,
                                into problems: inout FieldViolations) {
        if value.isEmpty {
            if required { problems.add(field(), "required") }
        } else if !isPlainID(value) {
            problems.add(field(), "at most \(SubmissionLimits.idLength) characters, no spaces")
        }
    }

    /// At most `idLength` characters and no whitespace. Ids are nearly always printable ASCII,
    /// checked byte by byte; anything else by Character as people count them (grapheme
    /// breaking and Unicode properties per character were ~2% of an order's service CPU).
    static func isPlainID(_ value: String) -> Bool {
        let utf8 = value.utf8
        if utf8.count <= SubmissionLimits.idLength && utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return true }
        return value.count <= SubmissionLimits.idLength && !value.contains(where: { $0.isWhitespace || $0.isNewline })
    }

    private static func checkText(_ value: String, field: String, limit: Int, into problems: inout FieldViolations) {
        if value.isEmpty {
            problems.add(field, "required")
        } else if value.utf8.count > limit && value.count > limit {
            // A Character is at least one byte: within the limit in bytes needs no counting.
            problems.add(field, "at most \(limit) characters")
        } else if hasControlCharacter(value) {
            problems.add(field, "contains control characters")
        }
    }

    /// Whether any scalar is a control character (general category Cc: exactly U+0000-U+001F
    /// and U+007F-U+009F, a set Unicode keeps stable), compared by value: a property lookup per
    /// scalar of every name and address showed in the profile.
    static func hasControlCharacter(_ value: String) -> Bool {
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != 0xC2 }) { return false }
        return value.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
