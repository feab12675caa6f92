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

    /// The columns `init(row:)` reads (by name) from `orders o`.
    static let columns = """
        o.id, o.code, o.source, o.partner_id, o.external_id, o.referrer_code, o.customer_name, o.customer_phone,
        o.customer_address, o.district_id, o.region_id, o.office_id, o.credited_team_path, o.state,
        o.assignee_account_id, o.assignee_kind, o.acknowledged_by, o.total_fen, o.actual_total_fen,
        o.evaluation_score, o.evaluation_text, o.submitted_by, o.created_at, o.updated_at,
        o.promotion_plan_id, o.visited_at, o.reimbursement_quarter
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        code = try row.decode(String.self, column: "code")
        source = OrderSource(storedName: try row.decode(String.self, column: "source"))
        partnerID = try row.decode(String.self, column: "partner_id")
        externalID = try row.decode(String.self, column: "external_id")
        referrerCode = try row.decode(String.self, column: "referrer_code")
        customerName = try row.decode(String.self, column: "customer_name")
        customerPhone = try row.decode(String.self, column: "customer_phone")
        customerAddress = try row.decode(String.self, column: "customer_address")
        districtID = try row.decode(String.self, column: "district_id")
        regionID = try row.decode(String.self, column: "region_id")
        officeID = try row.decode(String.self, column: "office_id")
        creditedTeamPath = try row.decode(String.self, column: "credited_team_path")
        state = OrderState(storedName: try row.decode(String.self, column: "state"))
        assigneeAccountID = try row.decode(String.self, column: "assignee_account_id")
        assigneeKind = try row.decode(String.self, column: "assignee_kind")
        acknowledgedBy = try row.decode(String.self, column: "acknowledged_by")
        totalFen = try row.decode(Int64.self, column: "total_fen")
        actualTotalFen = try row.decode(Int64.self, column: "actual_total_fen")
        evaluationScore = try row.decode(Int32.self, column: "evaluation_score")
        evaluationText = try row.decode(String.self, column: "evaluation_text")
        submittedBy = try row.decode(String.self, column: "submitted_by")
        createdAtMillis = try row.decode(Int64.self, column: "created_at")
        updatedAtMillis = try row.decode(Int64.self, column: "updated_at")
        promotionPlanID = try row.decode(String.self, column: "promotion_plan_id")
        visitedAtMillis = try row.decode(Int64?.self, column: "visited_at") ?? 0
        reimbursementQuarter = try row.decode(String.self, column: "reimbursement_quarter")
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
        guard access >= .partner else { return order }
        var customer = Xsc_Orders_V1_Customer()
        customer.name = customerName
        customer.phone = customerPhone
        customer.address = customerAddress
        order.customer = customer
        order.partnerId = partnerID
        order.externalId = externalID
        guard access == .full else { return order }
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
