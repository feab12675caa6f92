import Messages
import RPC
import ServiceAPI
import ServiceKit

/// orders.submit-order: partner orders through SubmitOrder, each distinct (its own external id
/// and idempotency key, so every call writes an order, not a replay) and checked to be the
/// order sent. Directly, the partner is a minted actor and the catalog and routing are put in
/// place first through orders' own admin RPCs (unless the section says `"prepare": false`);
/// through the gateway, the one session is a
/// partner API key and the catalog is the seeded one named in the scenario's `gateway` section.
struct OrdersIntake: Workload {
    struct Sku: Sendable {
        var id: String
        var guidedFen: Int64
        var listFen: Int64
    }

    let partner: Metadata
    let admin: Metadata?
    let system: Metadata?
    let district: String
    let region: String
    let officeID: String
    let skus: [Sku]
    let linesPerOrder: Int
    let customer: (name: String, phone: String, address: String)
    let runID: String

    init(_ request: Parameters, access: Access, runID: String) throws {
        self.runID = runID
        let section = request.section(access.via == .direct ? "direct" : "gateway")
        skus = section.sections("skus").map { sku in
            Sku(id: sku.string("id", default: "load-sku"), guidedFen: Int64(sku.int("guided_fen", default: 10_000)),
                listFen: Int64(sku.int("list_fen", default: 9_000)))
        }
        guard !skus.isEmpty else { throw Scenario.Invalid(message: "request.\(access.via.rawValue).skus: name at least one SKU") }
        district = section.string("district", default: "load-d1")
        region = section.string("region", default: "load-r")
        officeID = section.string("office", default: "load-o1")
        linesPerOrder = max(1, min(request.int("lines", default: 3), skus.count))
        let person = request.section("customer")
        customer = (person.string("name", default: "张三"), person.string("phone", default: "+86 138 0013 8000"),
                    person.string("address", default: "重庆市渝中区解放碑1号"))
        let channel = request.string("channel", default: "mall")
        partner = try access.metadata(for: Persona(accountID: section.string("partner", default: "load-mall"), role: .partner,
                                                   partnerChannel: channel),
                                      login: 0, gatewayRole: "a partner API key of the \(channel) channel (--token)")
        // `"prepare": false`: the catalog and routing are already there (a seeded system), as
        // through the gateway; the run then does exactly the work a gateway run does.
        if access.via == .direct && section.bool("prepare", default: true) {
            admin = try access.metadata(for: Persona(accountID: "load-admin", role: .admin, teamPath: "/hq"), login: 0, gatewayRole: "")
            system = try access.metadata(for: .system("gateway"), login: 0, gatewayRole: "")
        } else {
            admin = nil
            system = nil
        }
    }

    /// Directly: three SKUs with guided and list prices, the district's routing with one
    /// office lead, dealer and escalation account (fed to orders' directory first, as the
    /// gateway's feed would). All upserts.
    func prepare(channel: RPCChannel) async throws {
        guard let admin, let system else { return }
        let orders = Xsc_Orders_V1_OrderServiceClient(channel: channel)
        let call = CallOptions(metadata: admin, timeout: .seconds(30), waitForReady: true)
        for sku in skus {
            var message = Xsc_Orders_V1_Sku()
            message.skuId = sku.id
            message.name = "load \(sku.id)"
            message.unit = "bottle"
            message.active = true
            var upsert = Xsc_Orders_V1_UpsertSkuRequest()
            upsert.sku = message
            _ = try await orders.upsertSku(upsert, options: call)
            var guided = Xsc_Orders_V1_SetGuidedPriceRequest()
            guided.skuId = sku.id
            guided.maxPriceFen = sku.guidedFen
            _ = try await orders.setGuidedPrice(guided, options: call)
            var list = Xsc_Orders_V1_SetRegionPriceRequest()
            list.regionId = region
            list.skuId = sku.id
            list.priceFen = sku.listFen
            _ = try await orders.setRegionPrice(list, options: call)
        }
        let office = "/hq/\(region)/\(officeID)"
        let people = [("load-lead-o1", "office_order_lead", office), ("load-dealer-1", "dealer", "\(office)/\(district)"),
                      ("load-cs", "customer_service", "/hq/\(region)")]
        let directoryCall = CallOptions(metadata: system, timeout: .seconds(30), waitForReady: true)
        for person in people {
            var entry = Xsc_Common_V1_DirectoryEntry()
            entry.accountId = person.0
            entry.name = person.0
            entry.domainRole = person.1
            entry.nodePath = person.2
            entry.enabled = true
            // Newer than any entry an earlier run wrote: the directory keeps the highest version.
            entry.version = SystemWallClock.now()
            _ = try await orders.setDirectoryEntry(entry, options: directoryCall)
        }
        var routing = Xsc_Orders_V1_DistrictRouting()
        routing.districtId = district
        routing.regionId = region
        routing.officeId = officeID
        routing.creditedTeamPath = "\(office)/\(district)/t1"
        routing.officeLeadAccountIds = ["load-lead-o1"]
        routing.dealerAccountIds = ["load-dealer-1"]
        routing.escalationAccountIds = ["load-cs"]
        var request = Xsc_Orders_V1_SetDistrictRoutingRequest()
        request.routing = routing
        _ = try await orders.setDistrictRouting(request, options: call)
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        let id = "load-\(runID)-\(number)"
        var request = Xsc_Orders_V1_SubmitOrderRequest()
        request.source = .mall
        request.externalId = id
        request.deliveryDistrictId = district
        var person = Xsc_Orders_V1_Customer()
        person.name = customer.name
        person.phone = customer.phone
        person.address = customer.address
        request.customer = person
        request.lines = skus.prefix(linesPerOrder).enumerated().map { index, sku in
            var line = Xsc_Orders_V1_OrderLine()
            line.skuId = sku.id
            line.quantity = Int32(index + 1)
            line.unitPriceFen = sku.guidedFen
            return line
        }
        var metadata = partner
        metadata.add("idempotency-key", id)
        let answer = try await Xsc_Orders_V1_OrderServiceClient(channel: channel)
            .submitOrder(request, options: CallOptions(metadata: metadata, timeout: .seconds(30)))
        guard answer.order?.externalId == id, !answer.existing else {
            throw CheckFailure(message: "the answer is not the order just submitted (\(id))")
        }
        return 1
    }
}
