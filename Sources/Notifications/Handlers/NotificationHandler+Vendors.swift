import DomainKit
import Messages
import RPC
import ServiceKit

/// Templates and signatures as data, and the vendors' callbacks.
extension NotificationHandler {
    static let vendors: Set<String> = ["aliyun", "tencent"]

    public func setVendorTemplate(_ request: Xsc_Notifications_V1_SetVendorTemplateRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_VendorTemplate {
        let actor = try context.requireActor()
        let given = request.template ?? Xsc_Notifications_V1_VendorTemplate()
        var violations = FieldViolations()
        if !Self.vendors.contains(given.vendor) { violations.add("template.vendor", "aliyun or tencent") }
        if !ValidatedSend.isRegionCode(given.regionCode) { violations.add("template.region_code", "1 to 32 lower-case letters, digits or dashes") }
        if TemplateCatalog.all[given.template] == nil { violations.add("template.template", "one of our template names (order_new_lead, ...)") }
        let code = given.templateCode.trimmedForPeople
        if code.isEmpty || code.count > 64 || code.contains(where: \.isWhitespace) {
            violations.add("template.template_code", "the vendor's template code, 1 to 64 characters without spaces")
        }
        let sign = given.signName.trimmedForPeople
        if let problem = PeopleText.problem(with: sign, maxLength: 12) { violations.add("template.sign_name", problem) }
        if sign.isEmpty || sign.contains("【") || sign.contains("】") {
            violations.add("template.sign_name", "the registered signature, without 【】")
        }
        guard violations.isEmpty else { throw violations.error }
        try Self.requireRegionOrHQ(actor, region: given.regionCode)
        var template = given
        template.templateCode = code
        template.signName = sign
        return try await VendorTemplateStore(clock: clock).upsert(template, by: actor.accountID, pool: pool)
    }

    public func listVendorTemplates(_ request: Xsc_Notifications_V1_ListVendorTemplatesRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_ListVendorTemplatesResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_code", request.regionCode, .code(maxLength: 32)), ("vendor", request.vendor, .code(maxLength: 32))])
        let region = try Self.usageRegion(of: actor, asked: request.regionCode) ?? request.regionCode
        var response = Xsc_Notifications_V1_ListVendorTemplatesResponse()
        response.templates = try await VendorTemplateStore(clock: clock).list(vendor: request.vendor, region: region, pool: pool)
        return response
    }

    /// HQ (and services), or the regional manager / customer service of `region`.
    static func requireRegionOrHQ(_ actor: VerifiedActor, region: String) throws {
        if let own = try usageRegion(of: actor, asked: region), own != region {
            throw NotificationErrors.withReason(.permissionDenied, "a region edits its own templates only", reason: "OTHER_REGION")
        }
    }

    public func receiveVendorCallback(_ request: Xsc_Notifications_V1_VendorCallbackRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_VendorCallbackResponse {
        _ = try requireProviderOrMachine(context)
        var response = Xsc_Notifications_V1_VendorCallbackResponse()
        response.vendorAnswer = VendorCallbacks.answer(vendor: request.vendor)
        do {
            switch request.kind {
            case "receipt":
                var unknown = 0
                for receipt in try VendorCallbacks.receipts(vendor: request.vendor, body: request.body) {
                    let outcome: MessageStore.Receipt = receipt.delivered ? .delivered : .failed(reason: receipt.errorCode.isEmpty ? "undelivered" : receipt.errorCode)
                    let at = receipt.atMillis > 0 ? receipt.atMillis : clock()
                    guard let stored = try await messages.applyReceipt(pool: pool, providerMessageID: receipt.providerMessageID, outcome,
                                                                       atMillis: at) else {
                        unknown += 1
                        continue
                    }
                    let applied = receipt.delivered ? stored.state == .delivered : stored.state == .failed
                    if applied { response.receiptsApplied += 1 } else { response.ignored += 1 }
                }
                if unknown > 0 {
                    // Our send may not have recorded the vendor's id yet (the callback outran it):
                    // the vendor retries a callback that was not accepted.
                    throw NotificationErrors.withReason(.unavailable, "\(unknown) receipt(s) for messages not recorded yet; retry later",
                                                        reason: "RECEIPT_BEFORE_SEND")
                }
            case "reply":
                for reply in try VendorCallbacks.replies(vendor: request.vendor, body: request.body) {
                    guard let phone = MainlandPhone(mobile: reply.phone) else { response.ignored += 1; continue }
                    let result = try await InboundReplies(clock: clock, logger: logger)
                        .receive(pool: pool, from: phone, text: reply.text, receivedAtMillis: reply.atMillis > 0 ? reply.atMillis : clock(),
                                 providerMessageID: reply.providerMessageID)
                    if result.outcome == .duplicate { response.ignored += 1 } else { response.repliesReceived += 1 }
                    if result.replyMessageID != nil {
                        wakeDelivery()
                        inboxSignal.post()
                    }
                }
            default:
                throw FieldViolations.error("kind", "receipt or reply")
            }
        } catch let problem as VendorCallbacks.Problem {
            switch problem {
            case .unknownVendor: throw FieldViolations.error("vendor", "aliyun or tencent")
            case .unknownKind: throw FieldViolations.error("kind", "receipt or reply")
            case .malformed(let what): throw FieldViolations.error("body", what)
            }
        }
        return response
    }
}
