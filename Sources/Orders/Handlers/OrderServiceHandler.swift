import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.orders.v1.OrderService: identity from the verified actor only, then the flow.
public struct OrderServiceHandler: Xsc_Orders_V1_OrderServiceHandler {
    /// Bulk submission bound: one stream never holds a partner's connection for long.
    public static let maxBulkOrders = 1000

    let flow: OrderFlow
    /// WatchBoard's one shared poller of this process (every watcher of this handler shares it).
    let board: BoardHub

    public init(flow: OrderFlow, board: BoardHub? = nil) {
        self.flow = flow
        self.board = board ?? BoardHub(flow: flow)
    }

    public func submitOrder(_ request: Xsc_Orders_V1_SubmitOrderRequest, context: ServerContext) async throws -> Xsc_Orders_V1_SubmitOrderResponse {
        let answer = try await flow.submission(request, actor: try context.requireActor(),
                                               idempotencyKey: IdempotencyStore.key(from: context))
        context.encodedResponse = answer.encoded
        return answer.response
    }

    /// Each order is its own transaction and its own result: one bad order does not sink the
    /// batch. With an idempotency key, the i-th order uses "<key>/<i>".
    public func submitOrders(_ requests: RequestStream<Xsc_Orders_V1_SubmitOrderRequest>, context: ServerContext) async throws -> Xsc_Orders_V1_SubmitOrdersResponse {
        let actor = try context.requireActor()
        let key = IdempotencyStore.key(from: context.requestMetadata)
        var response = Xsc_Orders_V1_SubmitOrdersResponse()
        var index: Int32 = 0
        for try await request in requests {
            guard index < Self.maxBulkOrders else {
                throw RPCError(code: .resourceExhausted, message: "at most \(Self.maxBulkOrders) orders per stream; send the rest in another call")
            }
            var result = Xsc_Orders_V1_SubmitOrdersResult()
            result.index = index
            do {
                let submitted = try await flow.submit(request, actor: actor, idempotencyKey: key.map { "\($0)/\(index)" })
                result.order = submitted.order
                result.existing = submitted.existing
                response.accepted += 1
            } catch let error as RPCError {
                result.error = Self.status(of: error)
                response.rejected += 1
            }
            response.results.append(result)
            index += 1
        }
        return response
    }

    static func status(of error: RPCError) -> Google_Rpc_Status {
        if let details = error.details, let status = try? Google_Rpc_Status(serializedBytes: details) { return status }
        var status = Google_Rpc_Status()
        status.code = Int32(error.code.rawValue)
        status.message = error.message
        return status
    }

    public func getOrder(_ request: Xsc_Orders_V1_GetOrderRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.get(orderID: request.orderId, actor: actor))
    }

    public func listOrders(_ request: Xsc_Orders_V1_ListOrdersRequest, context: ServerContext) async throws -> Xsc_Orders_V1_ListOrdersResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.list(request, actor: actor)
    }

    public func acknowledge(_ request: Xsc_Orders_V1_AcknowledgeRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.acknowledge(orderID: request.orderId, actor: actor))
    }

    public func assign(_ request: Xsc_Orders_V1_AssignRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        try LookupField.check([("assignee_account_id", request.assigneeAccountId, .key)])
        return Self.wrap(try await flow.assign(orderID: request.orderId, assignee: request.assigneeAccountId, kind: request.assigneeKind,
                                               actor: actor))
    }

    public func accept(_ request: Xsc_Orders_V1_AcceptRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.accept(orderID: request.orderId, actor: actor))
    }

    public func markDelivered(_ request: Xsc_Orders_V1_MarkDeliveredRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.markDelivered(orderID: request.orderId, actor: actor))
    }

    public func recordReturnVisit(_ request: Xsc_Orders_V1_RecordReturnVisitRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.recordReturnVisit(request, actor: actor))
    }

    public func cancel(_ request: Xsc_Orders_V1_CancelRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.cancel(orderID: request.orderId, reason: request.reason, actor: actor))
    }

    public func refund(_ request: Xsc_Orders_V1_RefundRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        return Self.wrap(try await flow.refund(orderID: request.orderId, reason: request.reason, actor: actor))
    }

    public func listOrderEvents(_ request: Xsc_Orders_V1_ListOrderEventsRequest, context: ServerContext) async throws -> Xsc_Orders_V1_ListOrderEventsResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.orderId, "order_id")
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.events(request, actor: actor)
    }

    public func acknowledgeBySms(_ request: Xsc_Orders_V1_AcknowledgeBySmsRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrderResponse {
        let actor = try context.requireActor()
        try LookupField.check([("order_id", request.orderId, .id), ("order_code", request.orderCode, .code(maxLength: 32)),
                               ("account_id", request.accountId, .key), ("inbound_id", request.inboundId, .key)])
        return Self.wrap(try await flow.acknowledgeBySms(request, actor: actor))
    }

    public func listPartnerEvents(_ request: Xsc_Orders_V1_PartnerFeedRequest, context: ServerContext) async throws -> Xsc_Orders_V1_ListPartnerEventsResponse {
        let actor = try context.requireActor()
        try LookupField.check([("cursor", request.cursor, .cursor)])
        return try await flow.partnerEvents(request, actor: actor)
    }

    public func watchPartnerEvents(_ request: Xsc_Orders_V1_PartnerFeedRequest, responses: ResponseStreamWriter<Xsc_Orders_V1_PartnerFeedEvent>,
                                   context: ServerContext) async throws {
        do {
            try await flow.watchPartnerEvents(request, actor: try context.requireActor(), checkStop: {
                try context.checkServerShutdown(resume: "reconnect with the cursor of the last event you handled")
            }) { try await responses.send($0) }
        } catch is CancellationError {
            // The partner disconnected: the stream simply ends.
        }
    }

    public func salesByTeam(_ request: Xsc_Orders_V1_ReportRequest, context: ServerContext) async throws -> Xsc_Orders_V1_SalesByTeamResponse {
        try await flow.salesByTeam(request, actor: try context.requireActor())
    }

    public func slaCompliance(_ request: Xsc_Orders_V1_ReportRequest, context: ServerContext) async throws -> Xsc_Orders_V1_SlaComplianceResponse {
        try await flow.slaCompliance(request, actor: try context.requireActor())
    }

    public func ordersByWeekdayHour(_ request: Xsc_Orders_V1_ReportRequest, context: ServerContext) async throws -> Xsc_Orders_V1_OrdersByWeekdayHourResponse {
        try await flow.ordersByWeekdayHour(request, actor: try context.requireActor())
    }

    public func channelMix(_ request: Xsc_Orders_V1_ReportRequest, context: ServerContext) async throws -> Xsc_Orders_V1_ChannelMixResponse {
        try await flow.channelMix(request, actor: try context.requireActor())
    }

    public func upsertSku(_ request: Xsc_Orders_V1_UpsertSkuRequest, context: ServerContext) async throws -> Xsc_Orders_V1_Sku {
        try await flow.upsertSKU(request, actor: try context.requireActor())
    }

    public func setRegionPrice(_ request: Xsc_Orders_V1_SetRegionPriceRequest, context: ServerContext) async throws -> Xsc_Orders_V1_PriceResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId, .key), ("sku_id", request.skuId, .key)])
        return try await flow.setRegionPrice(request, actor: actor)
    }

    public func setGuidedPrice(_ request: Xsc_Orders_V1_SetGuidedPriceRequest, context: ServerContext) async throws -> Xsc_Orders_V1_PriceResponse {
        let actor = try context.requireActor()
        try LookupField.check([("sku_id", request.skuId, .key)])
        return try await flow.setGuidedPrice(request, actor: actor)
    }

    public func setDistrictRouting(_ request: Xsc_Orders_V1_SetDistrictRoutingRequest, context: ServerContext) async throws -> Xsc_Orders_V1_SetDistrictRoutingResponse {
        try await flow.setDistrictRouting(request, actor: try context.requireActor())
    }

    public func setRegionSettings(_ request: Xsc_Orders_V1_SetRegionSettingsRequest, context: ServerContext) async throws -> Xsc_Orders_V1_RegionSettings {
        try await flow.setRegionSettings(request, actor: try context.requireActor())
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        try await flow.setDirectoryEntry(request, actor: try context.requireActor())
    }

    public func promptUndelivered(_ request: Xsc_Orders_V1_PromptUndeliveredRequest, context: ServerContext) async throws -> Xsc_Orders_V1_PromptUndeliveredResponse {
        let actor = try context.requireActor()
        try LookupField.check([("order_id", request.orderId, .id), ("account_id", request.accountId, .key),
                               ("message_id", request.messageId, .id)])
        return try await flow.promptUndelivered(request, actor: actor)
    }

    public func upsertPromotionPlan(_ request: Xsc_Orders_V1_UpsertPromotionPlanRequest, context: ServerContext) async throws -> Xsc_Orders_V1_PromotionPlan {
        try await flow.upsertPromotionPlan(request, actor: try context.requireActor())
    }

    public func listPromotionPlans(_ request: Xsc_Orders_V1_ListPromotionPlansRequest, context: ServerContext) async throws -> Xsc_Orders_V1_ListPromotionPlansResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId, .key)])
        return try await flow.listPromotionPlans(request, actor: actor)
    }

    public func promotionExpenses(_ request: Xsc_Orders_V1_PromotionExpensesRequest, context: ServerContext) async throws -> Xsc_Orders_V1_PromotionExpensesResponse {
        let actor = try context.requireActor()
        try LookupField.check([("region_id", request.regionId, .key), ("plan_id", request.planId, .key),
                               ("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.promotionExpenses(request, actor: actor)
    }

    static func wrap(_ order: Xsc_Orders_V1_Order) -> Xsc_Orders_V1_OrderResponse {
        var response = Xsc_Orders_V1_OrderResponse()
        response.order = order
        return response
    }
}
