import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The order area's answer to "may this campaign sell these SKUs at these prices, and route
/// to these districts through these dealers" (orders.CheckCampaignPrices). Asked while a
/// campaign is created, so a staff member sees a bad price at once; orders checks the guided
/// maximum again when it places each order.
public protocol OrdersCatalog: Sendable {
    func check(skus: [String], districts: [String]) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse
}

/// By RPC, signed as the campaigns service's SYSTEM actor. Orders not answering is
/// UNAVAILABLE: creating a campaign is a staff action that can be retried (the idempotency key
/// makes the retry safe); joins, the deadline and pickups never wait for orders.
public struct OrdersServiceCatalog: OrdersCatalog {
    let client: Xsc_Orders_V1_OrderServiceClient
    let secret: ActorSecret
    let timeout: Duration

    public init(channel: RPCChannel, secret: ActorSecret, timeout: Duration = .seconds(5)) {
        client = Xsc_Orders_V1_OrderServiceClient(channel: channel)
        self.secret = secret
        self.timeout = timeout
    }

    public func check(skus: [String], districts: [String]) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        var request = Xsc_Orders_V1_CheckCampaignPricesRequest()
        request.skuIds = skus
        request.districtIds = districts
        var options = CallOptions(metadata: ActorMint.mint(secret: secret, accountID: CampaignsService.actorID, role: .system,
                                                           teamPath: "/", lifetime: .seconds(60), audience: "orders"))
        options.timeout = timeout
        do {
            return try await client.checkCampaignPrices(request, options: options)
        } catch {
            throw RPCError(code: .unavailable, message: "the orders service did not answer the price check; try again shortly")
        }
    }
}

/// Without an orders address (a test running campaigns alone): creation waits, UNAVAILABLE.
public struct AwaitingOrdersService: OrdersCatalog {
    public init() {}

    public func check(skus: [String], districts: [String]) async throws -> Xsc_Orders_V1_CheckCampaignPricesResponse {
        throw RPCError(code: .unavailable, message: "the orders service is not configured; try again shortly")
    }
}
