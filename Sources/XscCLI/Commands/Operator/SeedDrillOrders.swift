import Messages
import RPC
import ServiceAPI

/// The orders side of `xsc seed-drill`, through the gateway as the hq_admin: the drill's SKU
/// with its Chongqing list price and HQ guided maximum, and the routing of the drill district
/// (who is prompted, who executes, who hears about missed deadlines), by the account ids the
/// gateway gave the drill's members. Every call is an upsert, so a second run changes nothing.
enum SeedDrillOrders {
    static let skuID = "drill-baijiu-500ml"
    static let regionPriceFen: Int64 = 49_800
    static let guidedPriceFen: Int64 = 52_800

    static func seed(channel: RPCChannel, call: CallOptions) async throws {
        let ids = try await accountIDsByPhone(channel: channel, call: call)
        func id(_ phone: String) throws -> String {
            guard let id = ids[phone] else { throw CLIError.failed("the drill account \(phone) is missing under \(SeedDrillCommand.region)") }
            return id
        }
        let orders = Xsc_Orders_V1_OrderServiceClient(channel: channel)
        var sku = Xsc_Orders_V1_Sku()
        sku.skuId = skuID
        sku.name = "演练白酒 500ml"
        sku.unit = "bottle"
        sku.active = true
        var upsert = Xsc_Orders_V1_UpsertSkuRequest()
        upsert.sku = sku
        _ = try await orders.upsertSku(upsert, options: call)

        var regionPrice = Xsc_Orders_V1_SetRegionPriceRequest()
        regionPrice.regionId = slug(SeedDrillCommand.region)
        regionPrice.skuId = skuID
        regionPrice.priceFen = regionPriceFen
        _ = try await orders.setRegionPrice(regionPrice, options: call)
        var guided = Xsc_Orders_V1_SetGuidedPriceRequest()
        guided.skuId = skuID
        guided.maxPriceFen = guidedPriceFen
        _ = try await orders.setGuidedPrice(guided, options: call)
        print("sku     \(skuID): \(regionPrice.regionId) list price \(regionPriceFen) fen, HQ guided maximum \(guidedPriceFen) fen")

        var routing = Xsc_Orders_V1_DistrictRouting()
        routing.districtId = slug(SeedDrillCommand.district)
        routing.regionId = slug(SeedDrillCommand.region)
        routing.officeId = slug(SeedDrillCommand.office)
        routing.creditedTeamPath = SeedDrillCommand.team
        routing.officeLeadAccountIds = [try id("13900000003")]
        routing.districtLeadAccountIds = [try id("13900000004")]
        routing.dealerAccountIds = [try id("13900000005")]
        // A missed office-level deadline goes to the region's customer service and manager.
        routing.escalationAccountIds = [try id("13900000002"), try id("13900000001")]
        var setRouting = Xsc_Orders_V1_SetDistrictRoutingRequest()
        setRouting.routing = routing
        let stored = try await setRoutingWhenKnown(orders, setRouting, call: call)
        print("routing \(routing.districtId): office lead 13900000003, district lead 13900000004, dealer 13900000005, "
              + "escalation 13900000002 + 13900000001, SLA \(stored.routing?.slaSeconds ?? 0) s, credited to \(routing.creditedTeamPath)")
    }

    /// Orders checks routing against its account directory, which the gateway feeds through its
    /// outbox (asynchronously): accounts created a moment ago may not have reached it yet, so an
    /// INVALID_ARGUMENT is retried for a while before it is believed.
    static func setRoutingWhenKnown(_ orders: Xsc_Orders_V1_OrderServiceClient, _ request: Xsc_Orders_V1_SetDistrictRoutingRequest,
                                    call: CallOptions) async throws -> Xsc_Orders_V1_SetDistrictRoutingResponse {
        var attempt = 0
        while true {
            do {
                return try await orders.setDistrictRouting(request, options: call)
            } catch let error as RPCError where error.code == .invalidArgument && attempt < 120 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// phone -> account id of every account in the drill region (all pages).
    static func accountIDsByPhone(channel: RPCChannel, call: CallOptions) async throws -> [String: String] {
        let accounts = Xsc_Gateway_V1_AccountServiceClient(channel: channel)
        var ids: [String: String] = [:]
        var request = Xsc_Gateway_V1_ListAccountsRequest()
        request.underPath = SeedDrillCommand.region
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 200
        repeat {
            request.page = page
            let response = try await accounts.listAccounts(request, options: call)
            for account in response.accounts { ids[account.phone] = account.id }
            page.cursor = response.pageInfo?.nextCursor ?? ""
        } while !page.cursor.isEmpty
        return ids
    }

    /// Orders names region, office and district by their node slug ("cq-o1-d3").
    static func slug(_ path: String) -> String {
        String(path.split(separator: "/").last ?? "")
    }
}
