import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Orders' `OrderVisited` and `OrderRefunded`: rewards accrue on the return visit's actual
/// sales and are clawed back by a refund. Each event is applied once (ProcessedEvents) and each
/// order has at most one reward and one clawback per level (unique index), so a redelivery or a
/// second event for the same order books nothing twice.
extension SettlementFlow {
    public func recordVisited(_ event: Xsc_Orders_V1_OrderVisited, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if event.eventId.isEmpty { violations.add("event_id", "required") }
        if event.orderId.isEmpty { violations.add("order_id", "required") }
        if event.visitedAtMs <= 0 { violations.add("visited_at_ms", "required") }
        // The executor pays the week's rewards: a visited order always has one.
        if event.dealerAccountId.isEmpty && event.promotionPlanId.isEmpty { violations.add("dealer_account_id", "required") }
        try violations.check()

        if !event.promotionPlanId.isEmpty {
            // A promotion-expense order earns no reward: its amount is the region's advance.
            return Self.ack(try await pool.transaction { tx in
                guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
                let quarter = event.reimbursementQuarter.isEmpty ? calendar.quarter(of: event.visitedAtMs) : event.reimbursementQuarter
                try await reimbursements.recordAdvance(orderID: event.orderId, orderCode: event.orderCode, region: event.regionId,
                                                       plan: event.promotionPlanId, quarter: quarter, amountFen: event.actualFen,
                                                       visitedAt: event.visitedAtMs, in: tx)
                return true
            })
        }

        // The binding question goes to a peer, so it is asked before the transaction opens.
        var payee = Beneficiary.fromOrder(referrerAccountID: event.referrerAccountId)
        if payee == nil {
            payee = Beneficiary.fromBinding(try await bindings.binding(customerPhone: event.customerPhone, regionID: event.regionId))
        }
        let beneficiary = payee
        let sold = event.lines.map { SoldLine(skuID: $0.skuId, actualQuantity: Int64($0.actualQuantity), actualFen: $0.actualFen) }
        return Self.ack(try await pool.transaction { tx in
            try await lines.lockOrder(event.orderId, in: tx)
            guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
            guard let beneficiary, try await !lines.isRefunded(event.orderId, in: tx),
                  let rule = try await rules.rule(region: event.regionId, at: event.visitedAtMs, in: tx) else { return true }
            let reward = RewardCalculation.reward(for: sold, rule: rule.set)
            var line = LineStore.NewLine(kind: "reward", level: 1, orderID: event.orderId, orderCode: event.orderCode,
                                         eventID: event.eventId, regionID: event.regionId, dealerAccountID: event.dealerAccountId,
                                         payeeAccountID: beneficiary, salesFen: reward.salesFen, amountFen: reward.level1Fen,
                                         ruleVersion: rule.set.version, occurredAtMillis: event.visitedAtMs)
            if reward.level1Fen != 0 { try await book(line, in: tx) }
            if reward.level2Fen != 0, let recruiter = try await recruiters.recruiter(of: beneficiary, in: tx) {
                line.level = 2
                line.payeeAccountID = recruiter
                line.amountFen = reward.level2Fen
                try await book(line, in: tx)
            }
            return true
        })
    }

    public func recordRefunded(_ event: Xsc_Orders_V1_OrderRefunded, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try requireSystem(actor)
        var violations = FieldViolations()
        if event.eventId.isEmpty { violations.add("event_id", "required") }
        if event.orderId.isEmpty { violations.add("order_id", "required") }
        try violations.check()
        let refundedAt = event.refundedAtMs > 0 ? event.refundedAtMs : clock()
        return Self.ack(try await pool.transaction { tx in
            try await lines.lockOrder(event.orderId, in: tx)
            guard try await processed.applyOnce(in: tx, eventID: event.eventId) else { return false }
            try await lines.recordRefund(event.orderId, eventID: event.eventId, at: refundedAt, in: tx)
            try await reimbursements.refundAdvance(orderID: event.orderId, at: refundedAt, quarter: calendar.quarter(of: refundedAt), in: tx)
            // Every level's reward comes back as a negative line in the next open week of its
            // payee and dealer (the week of the refund, or later when that one is closed).
            for reward in try await lines.rewards(orderID: event.orderId, in: tx) {
                let clawback = LineStore.NewLine(kind: "clawback", level: reward.level, orderID: reward.orderID,
                                                 orderCode: reward.orderCode, eventID: event.eventId, regionID: reward.regionID,
                                                 dealerAccountID: reward.dealerAccountID, payeeAccountID: reward.payeeAccountID,
                                                 salesFen: -reward.salesFen, amountFen: -reward.amountFen,
                                                 ruleVersion: reward.ruleVersion, occurredAtMillis: refundedAt)
                try await book(clawback, in: tx)
            }
            return true
        })
    }

    /// Books a line into the week of its event, or the first later week not closed yet. The
    /// shared week lock is held to commit, so a concurrent close of that week (exclusive lock)
    /// either ran before (and the loop moves on) or waits for this line and includes it.
    func book(_ line: LineStore.NewLine, in tx: PostgresTransaction) async throws {
        var week = calendar.week(containing: line.occurredAtMillis)
        while true {
            try await lines.lockWeek(start: week.startMillis, shared: true, in: tx)
            if try await !lines.isClosed(periodStart: week.startMillis, in: tx) { break }
            week = calendar.week(after: week)
        }
        _ = try await lines.insert(line, id: newID(), periodStart: week.startMillis, at: clock(), in: tx)
    }
}
