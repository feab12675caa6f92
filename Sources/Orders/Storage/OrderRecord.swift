import Messages
import Postgres

/// One `orders` row with its lines, as the flow and the mappers use it.
struct OrderRecord: Sendable {
    struct Line: Sendable {
        var lineNo: Int
        var skuID: String
        var quantity: Int32
        var unitPriceFen: Int64
        var actualQuantity: Int32
    }

    var id: String
    var code: String
    var source: OrderSource
    var partnerID: String
    var externalID: String
    var referrerCode: String
    var customerName: String
    var customerPhone: String
    var customerAddress: String
    var districtID: String
    var regionID: String
    var officeID: String
    var creditedTeamPath: String
    var state: OrderState
    var assigneeAccountID: String
    var assigneeKind: String
    var acknowledgedBy: String
    var totalFen: Int64
    var actualTotalFen: Int64
    var evaluationScore: Int32
    var evaluationText: String
    var submittedBy: String
    var createdAtMillis: Int64
    var updatedAtMillis: Int64
    /// Set on promotion-expense orders.
    var promotionPlanID: String = ""
    /// When the return visit happened; 0 before.
    var visitedAtMillis: Int64 = 0
    /// A visited promotion-expense order's reimbursement quarter ("2025Q4").
    var reimbursementQuarter: String = ""
    var lines: [Line] = []

    /// The columns `init(row:)` reads, in order, from `orders o`.
    static let columns = """
        o.id, o.code, o.source, o.partner_id, o.external_id, o.referrer_code, o.customer_name, o.customer_phone,
        o.customer_address, o.district_id, o.region_id, o.office_id, o.credited_team_path, o.state,
        o.assignee_account_id, o.assignee_kind, o.acknowledged_by, o.total_fen, o.actual_total_fen,
        o.evaluation_score, o.evaluation_text, o.submitted_by, o.created_at, o.updated_at,
        o.promotion_plan_id, o.visited_at, o.reimbursement_quarter
        """
    static let columnCount = 27

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, at: 0)
        code = try row.decode(String.self, at: 1)
        source = OrderSource(storedName: try row.decode(String.self, at: 2))
        partnerID = try row.decode(String.self, at: 3)
        externalID = try row.decode(String.self, at: 4)
        referrerCode = try row.decode(String.self, at: 5)
        customerName = try row.decode(String.self, at: 6)
        customerPhone = try row.decode(String.self, at: 7)
        customerAddress = try row.decode(String.self, at: 8)
        districtID = try row.decode(String.self, at: 9)
        regionID = try row.decode(String.self, at: 10)
        officeID = try row.decode(String.self, at: 11)
        creditedTeamPath = try row.decode(String.self, at: 12)
        state = OrderState(storedName: try row.decode(String.self, at: 13))
        assigneeAccountID = try row.decode(String.self, at: 14)
        assigneeKind = try row.decode(String.self, at: 15)
        acknowledgedBy = try row.decode(String.self, at: 16)
        totalFen = try row.decode(Int64.self, at: 17)
        actualTotalFen = try row.decode(Int64.self, at: 18)
        evaluationScore = try row.decode(Int32.self, at: 19)
        evaluationText = try row.decode(String.self, at: 20)
        submittedBy = try row.decode(String.self, at: 21)
        createdAtMillis = try row.decode(Int64.self, at: 22)
        updatedAtMillis = try row.decode(Int64.self, at: 23)
        promotionPlanID = try row.decode(String.self, at: 24)
        visitedAtMillis = try row.decode(Int64?.self, at: 25) ?? 0
        reimbursementQuarter = try row.decode(String.self, at: 26)
    }

    /// The message a caller with `access` may see.
    func message(access: OrderAccess) -> Xsc_Orders_V1_Order {
        var order = Xsc_Orders_V1_Order()
        order.id = id
        order.code = code
        order.source = source
        order.districtId = districtID
        order.state = state
        order.totalFen = totalFen
        order.actualTotalFen = actualTotalFen
        order.createdAtMs = createdAtMillis
        order.updatedAtMs = updatedAtMillis
        order.referrerCode = referrerCode
        order.promotionPlanId = promotionPlanID
        order.visitedAtMs = visitedAtMillis
        order.reimbursementQuarter = reimbursementQuarter
        order.lines = lines.map { line in
            var message = Xsc_Orders_V1_OrderLine()
            message.skuId = line.skuID
            message.quantity = line.quantity
            message.unitPriceFen = line.unitPriceFen
            message.actualQuantity = line.actualQuantity
            return message
        }
        guard access == .full else { return order }
        var customer = Xsc_Orders_V1_Customer()
        customer.name = customerName
        customer.phone = customerPhone
        customer.address = customerAddress
        order.customer = customer
        order.partnerId = partnerID
        order.externalId = externalID
        order.officeId = officeID
        order.creditedTeamPath = creditedTeamPath
        order.assigneeAccountId = assigneeAccountID
        order.assigneeKind = assigneeKind == "dealer" ? .dealer : assigneeKind == "district_lead" ? .districtLead : .unspecified
        order.acknowledgedBy = acknowledgedBy
        order.evaluationScore = evaluationScore
        order.evaluationText = evaluationText
        order.submittedBy = submittedBy
        return order
    }
}
