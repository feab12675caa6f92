import DomainKit
import Messages

/// Checks a SendRequest field by field (every problem at once) and renders its text.
struct ValidatedSend {
    var accountID: String?
    var phone: MainlandPhone?
    var template: String
    var rendered: TemplateRenderer.Rendered
    var category: StoredMessage.Category
    var regionCode: String
    var idempotencyKey: String
    var subject: (kind: String, id: String, code: String)

    /// Bounds checked before anything else reads the request: each costs O(1) on the UTF-8 form
    /// (no scan, no hashing, no rendering), and a refusal never echoes the oversized value.
    static let maxTemplateNameBytes = 64
    static let maxParameters = 16
    static let maxParameterNameBytes = 64
    /// Bytes, so a value past it is refused before its characters are counted.
    static let maxParameterValueBytes = TemplateRenderer.maxParameterLength * 4

    static func sizeProblems(_ request: Xsc_Notifications_V1_SendRequest) -> FieldViolations {
        var violations = FieldViolations()
        if request.template.utf8.count > maxTemplateNameBytes {
            violations.add("template", "at most \(maxTemplateNameBytes) bytes: a template name such as order_new_lead")
        }
        if request.params.count > maxParameters {
            violations.add("params", "at most \(maxParameters) parameters")
        } else {
            for (name, value) in request.params {
                if name.utf8.count > maxParameterNameBytes {
                    violations.add("params", "a parameter name is longer than \(maxParameterNameBytes) bytes")
                } else if value.utf8.count > maxParameterValueBytes {
                    violations.add("params[\(name)]", "must be at most \(TemplateRenderer.maxParameterLength) characters")
                }
            }
        }
        for (field, value, limit) in [("account_id", request.accountId, 128), ("phone", request.phone, 32),
                                      ("region_code", request.regionCode, 32), ("idempotency_key", request.idempotencyKey, 255),
                                      ("subject.kind", request.subject?.kind ?? "", 32), ("subject.id", request.subject?.id ?? "", 128),
                                      ("subject.short_code", request.subject?.shortCode ?? "", 32)]
        where value.utf8.count > limit {
            violations.add(field, "at most \(limit) bytes")
        }
        return violations
    }

    static func validate(_ request: Xsc_Notifications_V1_SendRequest, metadataKey: String?) -> Result<ValidatedSend, FieldViolations> {
        let oversized = sizeProblems(request)
        guard oversized.isEmpty else { return .failure(oversized) }
        var violations = FieldViolations()
        let key = request.idempotencyKey.isEmpty ? (metadataKey ?? "") : request.idempotencyKey
        if key.isEmpty || key.utf8.count > 255 {
            violations.add("idempotency_key", "an idempotency key of 1 to 255 bytes is required")
        }
        let accountID = request.accountId.isEmpty ? nil : request.accountId
        var phone: MainlandPhone?
        if !request.phone.isEmpty {
            phone = MainlandPhone(mobile: request.phone)
            if phone == nil { violations.add("phone", "not a mainland mobile number (11 digits starting 13-19)") }
        } else if accountID == nil {
            violations.add("account_id", "an account id or a phone number is required")
        }
        if let accountID, accountID.utf8.count > 128 { violations.add("account_id", "at most 128 bytes") }
        let category: StoredMessage.Category
        switch request.category {
        case .staffSla: category = .staffSLA
        case .customer: category = .customer
        default:
            category = .staffSLA
            violations.add("category", "must be CATEGORY_STAFF_SLA or CATEGORY_CUSTOMER")
        }
        if !isRegionCode(request.regionCode) {
            violations.add("region_code", "1 to 32 lower-case letters, digits or dashes")
        }
        let subject = request.subject ?? Xsc_Notifications_V1_Subject()
        switch subject.kind {
        case "": break
        case "order":
            if subject.id.isEmpty { violations.add("subject.id", "an order prompt needs the order id") }
            if !subject.shortCode.isEmpty && !ReplyParser.isShortCode(subject.shortCode) {
                violations.add("subject.short_code", "4 to 8 letters and digits, at least one letter")
            }
        case "order_visit":
            // A return-visit reminder: about an order (an undelivered one is reported back to
            // orders), but not answered by an SMS reply.
            if subject.id.isEmpty { violations.add("subject.id", "a return-visit reminder needs the order id") }
        default:
            violations.add("subject.kind", "must be empty, \"order\" or \"order_visit\"")
        }
        let rendered = TemplateRenderer.render(templateName: request.template, parameters: request.params,
                                               regionCode: request.regionCode)
        if case .failure(let problems) = rendered { violations.merge(problems) }
        guard violations.isEmpty, case .success(let text) = rendered else { return .failure(violations) }
        return .success(ValidatedSend(accountID: accountID, phone: phone, template: request.template, rendered: text,
                                      category: category, regionCode: request.regionCode, idempotencyKey: key,
                                      subject: (subject.kind, subject.id, subject.shortCode.uppercased())))
    }

    static func isRegionCode(_ text: String) -> Bool {
        (1...32).contains(text.count)
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
