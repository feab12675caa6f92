import Messages
import Postgres

/// One `customers` row as the flow uses it, decoded by column name (`columns` is the select
/// list every query of a customer uses, from `customers c`).
struct CustomerRecord: Sendable {
    var id: String
    var name: String
    var phones: [String]
    var address: String
    var districtID: String
    var kind: Int32
    var decisionMaker: ValidCustomer.Contact
    var purchaser: ValidCustomer.Contact
    var grade: Int32
    var tags: [String]
    var ownerAccountID: String
    var teamPath: String
    var createdBy: String
    var origin: String
    var boundIntermediary: String
    var boundAtMillis: Int64
    var boundSource: String
    var boundOrderID: String
    var nextFollowUpAtMillis: Int64
    var version: Int64
    var createdAtMillis: Int64
    var updatedAtMillis: Int64

    /// U+001F joins array elements on the way in and out (the driver has no array type, and
    /// people's text never contains control characters).
    static let separator = "\u{1F}"

    static let columns = """
        c.id, c.name, array_to_string(c.phones, E'\\x1f') AS phones, c.address, c.district_id, c.kind,
        c.decision_maker_name, c.decision_maker_phone, c.decision_maker_notes,
        c.purchaser_name, c.purchaser_phone, c.purchaser_notes, c.grade,
        array_to_string(c.tags, E'\\x1f') AS tags, c.owner_account_id, c.team_path, c.created_by, c.origin,
        c.bound_intermediary, c.bound_at, c.bound_source, c.bound_order_id, c.next_follow_up_at,
        c.version, c.created_at, c.updated_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(column: "id")
        name = try row.decode(column: "name")
        phones = Self.split(try row.decode(column: "phones"))
        address = try row.decode(column: "address")
        districtID = try row.decode(column: "district_id")
        kind = Int32(try row.decode(Int.self, column: "kind"))
        decisionMaker = .init(name: try row.decode(column: "decision_maker_name"), phone: try row.decode(column: "decision_maker_phone"),
                              notes: try row.decode(column: "decision_maker_notes"))
        purchaser = .init(name: try row.decode(column: "purchaser_name"), phone: try row.decode(column: "purchaser_phone"),
                          notes: try row.decode(column: "purchaser_notes"))
        grade = Int32(try row.decode(Int.self, column: "grade"))
        tags = Self.split(try row.decode(column: "tags"))
        ownerAccountID = try row.decode(column: "owner_account_id")
        teamPath = try row.decode(column: "team_path")
        createdBy = try row.decode(column: "created_by")
        origin = try row.decode(column: "origin")
        boundIntermediary = try row.decode(column: "bound_intermediary")
        boundAtMillis = try row.decode(Int64?.self, column: "bound_at") ?? 0
        boundSource = try row.decode(column: "bound_source")
        boundOrderID = try row.decode(column: "bound_order_id")
        nextFollowUpAtMillis = try row.decode(Int64?.self, column: "next_follow_up_at") ?? 0
        version = try row.decode(column: "version")
        createdAtMillis = try row.decode(column: "created_at")
        updatedAtMillis = try row.decode(column: "updated_at")
    }

    /// The row `CustomerStore.insertStatement` writes for `new`, as the database will hold it
    /// (the columns it leaves to their defaults: no binding, no follow-up, version 1).
    init(new: CustomerStore.NewCustomer) {
        let valid = new.valid
        id = new.id
        name = valid.name
        phones = valid.phones.map(\.digits)
        address = valid.address
        districtID = valid.districtID
        kind = valid.kind
        decisionMaker = valid.decisionMaker
        purchaser = valid.purchaser
        grade = valid.grade
        tags = valid.tags
        ownerAccountID = new.owner
        teamPath = new.teamPath
        createdBy = new.createdBy
        origin = new.origin
        boundIntermediary = ""
        boundAtMillis = 0
        boundSource = ""
        boundOrderID = ""
        nextFollowUpAtMillis = 0
        version = 1
        createdAtMillis = new.at
        updatedAtMillis = new.at
    }

    static func split(_ joined: String) -> [String] {
        joined.isEmpty ? [] : joined.components(separatedBy: separator)
    }

    var message: Xsc_Customers_V1_Customer {
        var customer = Xsc_Customers_V1_Customer()
        customer.id = id
        customer.name = name
        customer.phones = phones
        customer.address = address
        customer.districtId = districtID
        customer.kind = Xsc_Customers_V1_CustomerKind(rawValue: kind)
        customer.decisionMaker = Self.contact(decisionMaker)
        customer.purchaser = Self.contact(purchaser)
        customer.grade = Xsc_Customers_V1_Grade(rawValue: grade)
        customer.tags = tags
        customer.ownerAccountId = ownerAccountID
        customer.teamPath = teamPath
        if !boundIntermediary.isEmpty {
            var binding = Xsc_Customers_V1_Binding()
            binding.intermediaryAccountId = boundIntermediary
            binding.boundAtMs = boundAtMillis
            binding.source = boundSource
            binding.orderId = boundOrderID
            customer.binding = binding
        }
        customer.createdByAccountId = createdBy
        customer.createdAtMs = createdAtMillis
        customer.updatedAtMs = updatedAtMillis
        customer.version = version
        customer.nextFollowUpAtMs = nextFollowUpAtMillis
        customer.origin = origin
        return customer
    }

    private static func contact(_ contact: ValidCustomer.Contact) -> Xsc_Customers_V1_Contact? {
        guard !contact.name.isEmpty || !contact.phone.isEmpty || !contact.notes.isEmpty else { return nil }
        var message = Xsc_Customers_V1_Contact()
        message.name = contact.name
        message.phone = contact.phone
        message.notes = contact.notes
        return message
    }
}
