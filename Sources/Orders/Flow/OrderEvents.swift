import Messages

/// The messages of events.proto built from an order: what each consumer needs and nothing it
/// would have to look up again in the orders service.
enum OrderEvents {
    static func customerSeen(_ order: OrderRecord, submitter: SubmitterFacts, eventID: String) -> Xsc_Orders_V1_CustomerSeen {
        var event = Xsc_Orders_V1_CustomerSeen()
        event.eventId = eventID
        event.orderId = order.id
        event.source = order.source
        event.customerName = order.customerName
        event.customerPhone = order.customerPhone
        event.customerAddress = order.customerAddress
        event.districtId = order.districtID
        event.regionId = order.regionID
        event.creditedTeamPath = order.creditedTeamPath
        event.salespersonAccountId = submitter.isSalesperson ? submitter.accountID : ""
        event.submittedByAccountId = submitter.accountID
        event.partnerId = order.partnerID
        event.referrerAccountId = order.referrerCode
        event.seenAtMs = order.createdAtMillis
        return event
    }

    static func referrerSeen(_ order: OrderRecord, eventID: String) -> Xsc_Orders_V1_ReferrerSeen {
        var event = Xsc_Orders_V1_ReferrerSeen()
        event.eventId = eventID
        event.referrerAccountId = order.referrerCode
        event.orderId = order.id
        event.source = order.source
        event.customerPhone = order.customerPhone
        event.creditedTeamPath = order.creditedTeamPath
        event.districtId = order.districtID
        event.seenAtMs = order.createdAtMillis
        return event
    }

    static func visited(_ order: OrderRecord, by account: String, eventID: String) -> Xsc_Orders_V1_OrderVisited {
        var event = Xsc_Orders_V1_OrderVisited()
        event.eventId = eventID
        event.orderId = order.id
        event.orderCode = order.code
        event.source = order.source
        event.partnerId = order.partnerID
        event.regionId = order.regionID
        event.officeId = order.officeID
        event.districtId = order.districtID
        event.creditedTeamPath = order.creditedTeamPath
        event.dealerAccountId = order.dealerAccountID
        event.referrerAccountId = order.referrerCode
        event.customerPhone = order.customerPhone
        event.lines = order.lines.map(eventLine)
        event.orderedFen = order.totalFen
        event.actualFen = order.actualTotalFen
        event.submittedAtMs = order.createdAtMillis
        event.visitedAtMs = order.visitedAtMillis
        event.visitedByAccountId = account
        event.promotionPlanId = order.promotionPlanID
        event.reimbursementQuarter = order.reimbursementQuarter
        return event
    }

    static func refunded(_ order: OrderRecord, by account: String, reason: String, eventID: String) -> Xsc_Orders_V1_OrderRefunded {
        var event = Xsc_Orders_V1_OrderRefunded()
        event.eventId = eventID
        event.orderId = order.id
        event.orderCode = order.code
        event.source = order.source
        event.regionId = order.regionID
        event.creditedTeamPath = order.creditedTeamPath
        event.dealerAccountId = order.dealerAccountID
        event.referrerAccountId = order.referrerCode
        event.customerPhone = order.customerPhone
        event.refundedFen = order.actualTotalFen
        event.visitedAtMs = order.visitedAtMillis
        event.refundedAtMs = order.updatedAtMillis
        event.refundedByAccountId = account
        event.reason = reason
        event.promotionPlanId = order.promotionPlanID
        event.reimbursementQuarter = order.reimbursementQuarter
        return event
    }

    static func violation(_ miss: SLAMiss, eventID: String) -> Xsc_Orders_V1_SlaViolation {
        var event = Xsc_Orders_V1_SlaViolation()
        event.eventId = eventID
        event.orderId = miss.order.id
        event.orderCode = miss.order.code
        event.step = miss.step.wireStep
        event.stage = miss.step.stageName
        event.responsibleAccountIds = miss.responsible
        event.escalatedToAccountIds = miss.escalatedTo
        event.dueAtMs = miss.dueAtMillis
        event.recordedAtMs = miss.recordedAtMillis
        event.lateMs = max(0, miss.recordedAtMillis - miss.dueAtMillis)
        event.regionId = miss.order.regionID
        event.officeId = miss.order.officeID
        event.creditedTeamPath = miss.order.creditedTeamPath
        return event
    }

    static func violationWithdrawn(_ withdrawal: SLAWithdrawal, eventID: String) -> Xsc_Orders_V1_SlaViolationWithdrawn {
        var event = Xsc_Orders_V1_SlaViolationWithdrawn()
        event.eventId = eventID
        event.violationEventId = withdrawal.violation.eventID
        event.orderId = withdrawal.order.id
        event.orderCode = withdrawal.order.code
        event.step = withdrawal.step.wireStep
        event.stage = withdrawal.step.stageName
        event.responsibleAccountIds = withdrawal.violation.responsible
        event.dueAtMs = withdrawal.violation.dueAtMillis
        event.doneAtMs = withdrawal.doneAtMillis
        event.doneByAccountId = withdrawal.doneBy
        event.withdrawnAtMs = withdrawal.withdrawnAtMillis
        event.reason = .doneInTime
        event.detail = withdrawal.detail
        event.regionId = withdrawal.order.regionID
        event.officeId = withdrawal.order.officeID
        event.creditedTeamPath = withdrawal.order.creditedTeamPath
        return event
    }

    private static func eventLine(_ line: OrderRecord.Line) -> Xsc_Orders_V1_EventLine {
        var message = Xsc_Orders_V1_EventLine()
        message.skuId = line.skuID
        message.quantity = line.quantity
        message.unitPriceFen = line.unitPriceFen
        message.actualQuantity = line.actualQuantity
        message.actualFen = Int64(line.actualQuantity) * line.unitPriceFen
        return message
    }
}

extension OrderRecord {
    /// The executing dealer once one was assigned.
    var dealerAccountID: String { assigneeKind == "dealer" ? assigneeAccountID : "" }
}

extension SLADeadlines.Step {
    var wireStep: Xsc_Orders_V1_SlaStep {
        switch self {
        case .acknowledge: .acknowledge
        case .assign: .assign
        case .accept: .accept
        case .returnVisit: .returnVisit
        }
    }
}

extension OrderEvents {
    /// Settlements' RecordChannelConflict for a classed flag: the person, the class, the later
    /// order's code as the reference, when it happened, and what the reviewer found.
    static func channelConflict(_ flag: ChannelConflictStore.Row) -> Xsc_Settlements_V1_RecordChannelConflictRequest {
        var request = Xsc_Settlements_V1_RecordChannelConflictRequest()
        request.personAccountId = flag.personAccountID
        request.class = Xsc_Settlements_V1_ViolationClass(rawValue: Int32(flag.conflictClass))
        request.reference = flag.order.code
        let kind = flag.kind == "refund_reorder" ? "refund then reorder" : "two channels"
        request.detail = String("channel conflict (\(kind)): order \(flag.order.code) (\(flag.order.source)) after "
                                + "\(flag.earlier.code) (\(flag.earlier.source)), classed by \(flag.reviewedBy): \(flag.detail)".prefix(500))
        request.occurredAtMs = flag.order.createdAtMillis
        return request
    }
}
