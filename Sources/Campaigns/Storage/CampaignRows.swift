import Postgres

/// The row types of the campaigns schema, each decoded by column name with the column list it
/// reads.
struct CampaignRow: Sendable, Equatable {
    var id: String
    var shareCode: String
    var title: String
    var teamPath: String
    var leaderAccountID: String
    var startsAtMillis: Int64
    var deadlineMillis: Int64
    var minQuantity: Int32
    var state: String
    var createdBy: String
    var createdAtMillis: Int64
    var closedAtMillis: Int64

    static let columns = """
        c.id, c.share_code, c.title, c.team_path, c.leader_account_id, c.starts_at, c.deadline, c.min_quantity, c.state,
        c.created_by, c.created_at, c.closed_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        shareCode = try row.decode(String.self, column: "share_code")
        title = try row.decode(String.self, column: "title")
        teamPath = try row.decode(String.self, column: "team_path")
        leaderAccountID = try row.decode(String.self, column: "leader_account_id")
        startsAtMillis = try row.decode(Int64.self, column: "starts_at")
        deadlineMillis = try row.decode(Int64.self, column: "deadline")
        minQuantity = try row.decode(Int32.self, column: "min_quantity")
        state = try row.decode(String.self, column: "state")
        createdBy = try row.decode(String.self, column: "created_by")
        createdAtMillis = try row.decode(Int64.self, column: "created_at")
        closedAtMillis = try row.decode(Int64?.self, column: "closed_at") ?? 0
    }
}

struct ProductRow: Sendable, Equatable {
    var skuID: String
    var name: String
    var priceFen: Int64
    var stockCap: Int32
    var perPersonLimit: Int32
    var reserved: Int32

    static let columns = "p.sku_id, p.name, p.price_fen, p.stock_cap, p.per_person_limit, p.reserved"

    init(row: PostgresRow) throws {
        skuID = try row.decode(String.self, column: "sku_id")
        name = try row.decode(String.self, column: "name")
        priceFen = try row.decode(Int64.self, column: "price_fen")
        stockCap = try row.decode(Int32.self, column: "stock_cap")
        perPersonLimit = try row.decode(Int32.self, column: "per_person_limit")
        reserved = try row.decode(Int32.self, column: "reserved")
    }
}

struct PointRow: Sendable, Equatable {
    var id: String
    var name: String
    var address: String
    var districtID: String
    var dealerAccountID: String
    var hours: String
    var contactPhone: String
    var verifierAccountIDs: [String]

    static let columns = """
        pp.pickup_point_id, pp.name, pp.address, pp.district_id, pp.dealer_account_id, pp.hours, pp.contact_phone,
        array_to_string(pp.verifier_account_ids, ' ') AS verifiers
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "pickup_point_id")
        name = try row.decode(String.self, column: "name")
        address = try row.decode(String.self, column: "address")
        districtID = try row.decode(String.self, column: "district_id")
        dealerAccountID = try row.decode(String.self, column: "dealer_account_id")
        hours = try row.decode(String.self, column: "hours")
        contactPhone = try row.decode(String.self, column: "contact_phone")
        // Account ids never hold spaces (validated), so a space-joined list splits back exactly.
        verifierAccountIDs = try row.decode(String.self, column: "verifiers").split(separator: " ").map(String.init)
    }
}

struct ParticipationRow: Sendable, Equatable {
    struct Line: Sendable, Equatable {
        var skuID: String
        var quantity: Int32
        var unitPriceFen: Int64
    }

    var id: String
    var campaignID: String
    var customerName: String
    var customerPhone: String
    var pickupPointID: String
    var totalFen: Int64
    var state: String
    var pickupCode: String
    var submittedBy: String
    var joinedAtMillis: Int64
    var collectedAtMillis: Int64
    var collectedBy: String
    var refundDue: Bool
    var lines: [Line] = []

    static let columns = """
        p.id, p.campaign_id, p.customer_name, p.customer_phone, p.pickup_point_id, p.total_fen, p.state, p.pickup_code,
        p.submitted_by, p.joined_at, p.collected_at, p.collected_by, p.refund_due
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, column: "id")
        campaignID = try row.decode(String.self, column: "campaign_id")
        customerName = try row.decode(String.self, column: "customer_name")
        customerPhone = try row.decode(String.self, column: "customer_phone")
        pickupPointID = try row.decode(String.self, column: "pickup_point_id")
        totalFen = try row.decode(Int64.self, column: "total_fen")
        state = try row.decode(String.self, column: "state")
        pickupCode = try row.decode(String.self, column: "pickup_code")
        submittedBy = try row.decode(String.self, column: "submitted_by")
        joinedAtMillis = try row.decode(Int64.self, column: "joined_at")
        collectedAtMillis = try row.decode(Int64?.self, column: "collected_at") ?? 0
        collectedBy = try row.decode(String.self, column: "collected_by")
        refundDue = try row.decode(Bool.self, column: "refund_due")
    }
}
