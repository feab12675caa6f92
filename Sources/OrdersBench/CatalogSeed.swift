import Messages
import RPC
import ServiceAPI

/// The catalog and routing every benchmark order uses, set through the service's own admin
/// RPCs (an admin actor's metadata): three SKUs with guided and regional prices, and one
/// district with one office lead (so each order queues one SMS prompt in the outbox).
enum CatalogSeed {
    static let region = "bench-r"
    static let district = "bench-d1"
    static let skus: [(id: String, guidedFen: Int64, listFen: Int64)] = [
        ("bench-a", 15_800, 12_800), ("bench-b", 9_900, 8_800), ("bench-c", 2_500, 2_000),
    ]

    static func run(_ options: BenchOptions) async throws {
        let channel = RPCChannel(host: options.host, port: options.port)
        defer { channel.close() }
        let client = Xsc_Orders_V1_OrderServiceClient(channel: channel)
        let call = CallOptions(metadata: options.metadata, timeout: .seconds(30), waitForReady: true)
        for sku in skus {
            var upsert = Xsc_Orders_V1_UpsertSkuRequest()
            var message = Xsc_Orders_V1_Sku()
            message.skuId = sku.id
            message.name = "benchmark \(sku.id)"
            message.unit = "bottle"
            message.active = true
            upsert.sku = message
            _ = try await client.upsertSku(upsert, options: call)
            var guided = Xsc_Orders_V1_SetGuidedPriceRequest()
            guided.skuId = sku.id
            guided.maxPriceFen = sku.guidedFen
            _ = try await client.setGuidedPrice(guided, options: call)
            var list = Xsc_Orders_V1_SetRegionPriceRequest()
            list.regionId = region
            list.skuId = sku.id
            list.priceFen = sku.listFen
            _ = try await client.setRegionPrice(list, options: call)
        }
        if let directoryMetadata = options.directoryMetadata {
            let system = CallOptions(metadata: directoryMetadata, timeout: .seconds(30), waitForReady: true)
            // Routing checks each person hangs under the district's own region (/hq/<region>/...).
            let people = [("bench-lead-o1", "office_order_lead", "/hq/\(region)/bench-o1"),
                          ("bench-dealer-1", "dealer", "/hq/\(region)/bench-o1/\(district)"),
                          ("bench-cs", "customer_service", "/hq/\(region)")]
            for (version, person) in people.enumerated() {
                var entry = Xsc_Common_V1_DirectoryEntry()
                entry.accountId = person.0
                entry.name = person.0
                entry.domainRole = person.1
                entry.nodePath = person.2
                entry.enabled = true
                entry.version = Int64(version + 1)
                _ = try await client.setDirectoryEntry(entry, options: system)
            }
        }
        var routing = Xsc_Orders_V1_DistrictRouting()
        routing.districtId = district
        routing.regionId = region
        routing.officeId = "bench-o1"
        routing.creditedTeamPath = "/hq/\(region)/bench-o1/\(district)/t1"
        routing.officeLeadAccountIds = ["bench-lead-o1"]
        routing.dealerAccountIds = ["bench-dealer-1"]
        routing.escalationAccountIds = ["bench-cs"]
        // An hour to acknowledge instead of five minutes: each order still writes its deadline,
        // but none fires during a run. With five minutes, a run longer than that met its first
        // orders' escalations (thousands per second) in its later rows, which then measured the
        // escalation work too - the "round 2 fell to 1,053/s" of session 8.
        routing.slaSeconds = 3600
        var request = Xsc_Orders_V1_SetDistrictRoutingRequest()
        request.routing = routing
        _ = try await client.setDistrictRouting(request, options: call)
        print("seeded \(skus.count) SKUs and district \(district)")
    }

    /// A mall order of three lines at the guided prices; the caller makes it distinct. Each
    /// order has its own customer phone (from its external id), as real orders nearly do: with
    /// one phone for all, the channel-conflict check read every earlier order of that phone,
    /// so an order cost PostgreSQL more the longer the run (~450 buffer pages an order after
    /// 20,000 orders, two thirds of all it read; bench/README.md, "Issue 15 (session 6)").
    static func order(externalID: String) -> Xsc_Orders_V1_SubmitOrderRequest {
        var request = Xsc_Orders_V1_SubmitOrderRequest()
        request.source = .mall
        request.externalId = externalID
        request.deliveryDistrictId = district
        var customer = Xsc_Orders_V1_Customer()
        customer.name = "张三"
        customer.phone = phone(for: externalID)
        customer.address = "重庆市渝中区解放碑1号"
        request.customer = customer
        request.lines = skus.enumerated().map { index, sku in
            var line = Xsc_Orders_V1_OrderLine()
            line.skuId = sku.id
            line.quantity = Int32(index + 1)
            line.unitPriceFen = sku.guidedFen
            return line
        }
        return request
    }

    /// A mainland mobile number 138xxxxxxxx picked by FNV-1a of `key`: spread, and the same for
    /// the same order.
    static func phone(for key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let digits = String(hash % 100_000_000)
        return "138" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
