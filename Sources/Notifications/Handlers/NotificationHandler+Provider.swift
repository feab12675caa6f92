import DomainKit
import Messages
import RPC
import ServiceKit

/// The provider-facing and reporting methods.
extension NotificationHandler {
    public func reportDelivery(_ request: Xsc_Notifications_V1_ReportDeliveryRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_ReportDeliveryResponse {
        _ = try requireProviderOrMachine(context)
        var violations = FieldViolations()
        if request.providerMessageId.isEmpty { violations.add("provider_message_id", "required") }
        let receipt: MessageStore.Receipt
        switch request.status {
        case .delivered: receipt = .delivered
        case .failed: receipt = .failed(reason: request.errorCode.isEmpty ? "undelivered" : request.errorCode)
        default:
            receipt = .delivered
            violations.add("status", "must be DELIVERY_STATUS_DELIVERED or DELIVERY_STATUS_FAILED")
        }
        guard violations.isEmpty else { throw violations.error }
        let at = request.reportedAtMs > 0 ? request.reportedAtMs : clock()
        guard let stored = try await messages.applyReceipt(pool: pool, providerMessageID: request.providerMessageId,
                                                           receipt, atMillis: at) else {
            throw NotificationErrors.notFound("message")
        }
        var response = Xsc_Notifications_V1_ReportDeliveryResponse()
        response.message = stored.proto
        return response
    }

    public func receiveInbound(_ request: Xsc_Notifications_V1_ReceiveInboundRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_ReceiveInboundResponse {
        _ = try requireProviderOrMachine(context)
        var violations = FieldViolations()
        let phone = MainlandPhone(mobile: request.fromPhone)
        if phone == nil { violations.add("from_phone", "not a mainland mobile number") }
        if request.text.count > 1000 { violations.add("text", "at most 1000 characters") }
        if request.receivedAtMs < 0 { violations.add("received_at_ms", "must not be negative") }
        guard violations.isEmpty, let phone else { throw violations.error }
        let receivedAt = request.receivedAtMs > 0 ? request.receivedAtMs : clock()
        let result = try await InboundReplies(clock: clock, logger: logger)
            .receive(pool: pool, from: phone, text: request.text, receivedAtMillis: receivedAt,
                     providerMessageID: request.providerMessageId)
        if result.replyMessageID != nil {
            wakeDelivery()
            inboxSignal.post()
        }
        var response = Xsc_Notifications_V1_ReceiveInboundResponse()
        response.orderId = result.orderID
        response.outcome = switch result.outcome {
        case .acknowledgementQueued: .acknowledgementQueued
        case .notUnderstood: .notUnderstood
        case .ambiguous: .ambiguous
        case .nothingToAcknowledge: .nothingToAcknowledge
        case .duplicate: .duplicate
        }
        return response
    }

    public func usageReport(_ request: Xsc_Notifications_V1_UsageReportRequest, context: ServerContext) async throws -> Xsc_Notifications_V1_UsageReportResponse {
        let actor = try context.requireActor()
        // Each region pays its own SMS (短信费自付): its usage is the region's and HQ's to see.
        let ownRegion = try Self.usageRegion(of: actor, asked: request.regionCode)
        var violations = FieldViolations()
        if !request.regionCode.isEmpty && !ValidatedSend.isRegionCode(request.regionCode) {
            violations.add("region_code", "1 to 32 lower-case letters, digits or dashes")
        }
        for (field, month) in [("from_month", request.fromMonth), ("to_month", request.toMonth)] where !month.isEmpty && !Self.isMonth(month) {
            violations.add(field, "a month as YYYY-MM")
        }
        guard violations.isEmpty else { throw violations.error }
        let rows = try await messages.usage(pool: pool, regionCode: ownRegion ?? request.regionCode, fromMonth: request.fromMonth,
                                            toMonth: request.toMonth, timeZone: settings.timeZoneIdentifier)
        var response = Xsc_Notifications_V1_UsageReportResponse()
        response.rows = rows.map {
            var row = Xsc_Notifications_V1_UsageRow()
            row.regionCode = $0.regionCode
            row.month = $0.month
            row.messages = Int32(clamping: $0.messages)
            row.segments = Int32(clamping: $0.segments)
            return row
        }
        return response
    }

    /// nil for HQ and services (any region, or every region); else the caller's own region,
    /// which a regional manager or the region's customer service may read and nobody else.
    static func usageRegion(of actor: VerifiedActor, asked: String) throws -> String? {
        if machineRoles.contains(actor.role) { return nil }
        let regional = actor.domainRole.isEmpty ? actor.role == .manager
            : ["regional_manager", "customer_service"].contains(actor.domainRole)
        guard regional, let region = OrgPath.region(of: actor.teamPath) else {
            throw NotificationErrors.withReason(.permissionDenied, "SMS usage is for the region's manager and customer service, and HQ",
                                                reason: "REGION_SUPERVISOR_REQUIRED")
        }
        guard asked.isEmpty || asked == region else {
            throw NotificationErrors.withReason(.permissionDenied, "a region sees its own SMS usage only (\(region))",
                                                reason: "OTHER_REGION")
        }
        return region
    }

    static func isMonth(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard text.count == 7, parts.count == 2, parts[0].count == 4, let month = Int(parts[1]), Int(parts[0]) != nil else { return false }
        return (1...12).contains(month)
    }
}
