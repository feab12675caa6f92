import Messages
import RPC
import ServiceAPI

/// customers.create-search: salespeople registering new customers (CreateCustomer: a new phone,
/// name and address each time, so each call writes a customer and runs the near-duplicate
/// look-up) mixed with phone-prefix searches over what they registered (SearchCustomers).
/// `searches_per_create` searches follow each create. Directly, `salespeople` minted
/// salespeople on teams under `team_prefix`; through the gateway, the one session (a
/// salesperson).
struct CustomersCreateSearch: Workload {
    let sellers: [Metadata]
    let district: String
    let searchesPerCreate: Int
    /// Phones of this run: 16 + 9 digits scattered from serials that start at `phone_base` when
    /// the scenario gives one (bench/customers.py gives each run its own range, disjoint from
    /// its Python client's), else at a base the run id picks, so runs rarely meet.
    let phoneBase: Int

    init(_ request: Parameters, access: Access, runID: String) throws {
        district = request.section(access.via == .direct ? "direct" : "gateway").string("district", default: "cq-o1-d3")
        searchesPerCreate = max(0, request.int("searches_per_create", default: 1))
        let randomBase = Int(UInt64(runID, radix: 36).map { $0 % 900 } ?? 0) * 1_000_000
        phoneBase = max(0, request.int("phone_base", default: randomBase)) % 1_000_000_000
        if access.via == .direct {
            let count = max(1, request.int("salespeople", default: 8))
            let prefix = request.string("team_prefix", default: "/hq/cq/cq-o1/cq-o1-d3/load-t")
            sellers = try (0..<count).map { index in
                try access.metadata(for: Persona(accountID: "load-sp-\(index)", role: .staff, domainRole: "salesperson",
                                                 teamPath: "\(prefix)\(index)"), login: 0, gatewayRole: "")
            }
        } else {
            sellers = [try access.metadata(for: Persona(accountID: "", role: .staff), login: 0, gatewayRole: "a salesperson")]
        }
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        let client = Xsc_Customers_V1_CustomerServiceClient(channel: channel)
        let round = number / (searchesPerCreate + 1)
        let seller = sellers[round % sellers.count]
        let options = CallOptions(metadata: seller, timeout: .seconds(30))
        if number % (searchesPerCreate + 1) == 0 {
            let serial = (phoneBase + number) % 1_000_000_000
            var input = Xsc_Customers_V1_CustomerInput()
            input.name = "压测\(serial)"
            input.phones = ["16" + Self.digits(Self.scattered(serial), 9)]
            input.address = "压测路\(serial)号"
            input.districtId = district
            input.kind = .gift
            input.grade = .b
            var request = Xsc_Customers_V1_CreateCustomerRequest()
            request.customer = input
            let answer = try await client.createCustomer(request, options: options)
            guard answer.customer?.phones.isEmpty == false else { throw CheckFailure(message: "CreateCustomer answered no customer") }
        } else {
            // The prefix of a phone this seller registered a moment ago (7 of its 11 digits).
            let serial = (phoneBase + round * (searchesPerCreate + 1)) % 1_000_000_000
            var request = Xsc_Customers_V1_SearchCustomersRequest()
            request.phone = String(("16" + Self.digits(Self.scattered(serial), 9)).prefix(7))
            var page = Xsc_Common_V1_PageRequest()
            page.pageSize = 20
            request.page = page
            _ = try await client.searchCustomers(request, options: options)
        }
        return 1
    }

    /// A bijection of 0..<10^9 (3^18 is prime to 10^9): serials never share a number and
    /// neighbouring serials lie far apart. Consecutive numbers would make many new phones a
    /// neighbour swap of an earlier one of the same seller (...12 and ...21), each flagging a
    /// near-duplicate (two more statements and a directory read) that real registrations rarely meet.
    static func scattered(_ serial: Int) -> Int {
        (387_420_489 * serial + 123_456_789) % 1_000_000_000
    }

    static func digits(_ value: Int, _ count: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, count - text.count)) + text
    }
}
