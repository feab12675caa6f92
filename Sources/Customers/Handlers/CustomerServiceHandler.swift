import DomainKit
import Messages
import RPC
import ServiceAPI
import ServiceKit
import ServiceKitStore

/// xsc.customers.v1.CustomerService: identity from the verified actor only, then the flow.
public struct CustomerServiceHandler: Xsc_Customers_V1_CustomerServiceHandler {
    let flow: CustomerFlow

    public init(flow: CustomerFlow) {
        self.flow = flow
    }

    public func recordCustomerSeen(_ request: Xsc_Orders_V1_CustomerSeen, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.customerSeen(request, actor: try context.requireActor())
    }

    public func recordReferrerSeen(_ request: Xsc_Orders_V1_ReferrerSeen, context: ServerContext) async throws -> Xsc_Common_V1_EventAck {
        try await flow.referrerSeen(request, actor: try context.requireActor())
    }

    public func setDirectoryEntry(_ request: Xsc_Common_V1_DirectoryEntry, context: ServerContext) async throws -> Xsc_Common_V1_DirectoryAck {
        try await flow.setDirectoryEntry(request, actor: try context.requireActor())
    }

    public func createCustomer(_ request: Xsc_Customers_V1_CreateCustomerRequest, context: ServerContext) async throws -> Xsc_Customers_V1_CustomerResponse {
        try await flow.create(request, actor: try context.requireActor(), idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func getCustomer(_ request: Xsc_Customers_V1_GetCustomerRequest, context: ServerContext) async throws -> Xsc_Customers_V1_CustomerResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        return try await flow.get(customerID: request.customerId, actor: actor)
    }

    public func updateCustomer(_ request: Xsc_Customers_V1_UpdateCustomerRequest, context: ServerContext) async throws -> Xsc_Customers_V1_CustomerResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        return try await flow.update(request, actor: actor)
    }

    public func searchCustomers(_ request: Xsc_Customers_V1_SearchCustomersRequest, context: ServerContext) async throws -> Xsc_Customers_V1_SearchCustomersResponse {
        let actor = try context.requireActor()
        try LookupField.check([("owner_account_id", request.ownerAccountId, .key), ("page.cursor", request.page?.cursor ?? "", .cursor),
                               ("phone", request.phone, .text(maxBytes: 64)), ("name", request.name, .text(maxBytes: 256)),
                               ("tag", request.tag, .text(maxBytes: 128))])
        return try await flow.search(request, actor: actor)
    }

    public func countCustomers(_ request: Xsc_Customers_V1_CountCustomersRequest, context: ServerContext) async throws -> Xsc_Customers_V1_CountCustomersResponse {
        try await flow.count(actor: try context.requireActor())
    }

    public func listTags(_ request: Xsc_Customers_V1_ListTagsRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ListTagsResponse {
        try await flow.listTags(request, actor: try context.requireActor())
    }

    /// Rows are answered one by one, stored in batches (CustomerFlow+Import), two batches at a
    /// time while the next is read from the stream (`ImportPipeline`, which keeps the answers as
    /// if the rows were written one after the other).
    public func importCustomers(_ requests: RequestStream<Xsc_Customers_V1_ImportCustomerRow>, context: ServerContext) async throws -> Xsc_Customers_V1_ImportCustomersResponse {
        let member = try TeamMember.require(try context.requireActor())
        let key = IdempotencyStore.key(from: context.requestMetadata)
        var response = Xsc_Customers_V1_ImportCustomersResponse()
        func add(_ results: [Xsc_Customers_V1_ImportRowResult]) {
            for result in results {
                switch result.outcome {
                case "created": response.created += 1
                case "existing": response.existing += 1
                default: response.refused += 1
                }
            }
            response.results += results
        }
        var pipeline = ImportPipeline(flow: flow, member: member, idempotencyKey: key)
        var pending: [Xsc_Customers_V1_ImportCustomerRow] = []
        var received = 0
        var readSince = ContinuousClock.now
        do {
            for try await row in requests {
                guard received < CustomerFlow.maxImportRows else {
                    throw RPCError(code: .resourceExhausted, message: "at most \(CustomerFlow.maxImportRows) rows per stream; send the rest in another call")
                }
                pending.append(row)
                received += 1
                if pending.count == CustomerFlow.importBatchSize {
                    pipeline.timeline.add(.read, since: readSince)
                    add(await pipeline.submit(pending, firstIndex: Int32(received - pending.count)))
                    pending.removeAll(keepingCapacity: true)
                    readSince = ContinuousClock.now
                }
            }
        } catch {
            pipeline.cancel()
            throw error
        }
        pipeline.timeline.add(.read, since: readSince)
        if !pending.isEmpty { add(await pipeline.submit(pending, firstIndex: Int32(received - pending.count))) }
        add(await pipeline.finish())
        flow.logImport(pipeline.timeline, response: response)
        return response
    }

    public func addFollowUp(_ request: Xsc_Customers_V1_AddFollowUpRequest, context: ServerContext) async throws -> Xsc_Customers_V1_FollowUpResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        var problems = FieldViolations()
        LookupField.checkIDs(request.askAccountIds, field: "ask_account_ids", shape: .key, maxCount: 20, into: &problems)
        try problems.check()
        return try await flow.addFollowUp(request, actor: actor, idempotencyKey: IdempotencyStore.key(from: context.requestMetadata))
    }

    public func listFollowUps(_ request: Xsc_Customers_V1_ListFollowUpsRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ListFollowUpsResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listFollowUps(request, actor: actor)
    }

    public func listMyTasks(_ request: Xsc_Customers_V1_ListMyTasksRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ListMyTasksResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listMyTasks(request, actor: actor)
    }

    public func completeTask(_ request: Xsc_Customers_V1_CompleteTaskRequest, context: ServerContext) async throws -> Xsc_Customers_V1_TaskResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.taskId, "task_id")
        return try await flow.completeTask(taskID: request.taskId, actor: actor)
    }

    public func listNearDuplicates(_ request: Xsc_Customers_V1_ListNearDuplicatesRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ListNearDuplicatesResponse {
        let actor = try context.requireActor()
        try LookupField.check([("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listNearDuplicates(request, actor: actor)
    }

    public func dismissNearDuplicate(_ request: Xsc_Customers_V1_DismissNearDuplicateRequest, context: ServerContext) async throws -> Xsc_Customers_V1_NearDuplicate {
        let actor = try context.requireActor()
        try LookupField.requireID(request.nearDuplicateId, "near_duplicate_id")
        return try await flow.dismissNearDuplicate(id: request.nearDuplicateId, actor: actor)
    }

    public func mergeCustomers(_ request: Xsc_Customers_V1_MergeCustomersRequest, context: ServerContext) async throws -> Xsc_Customers_V1_MergeCustomersResponse {
        let actor = try context.requireActor()
        try LookupField.requireIDs([("customer_id", request.customerId), ("other_customer_id", request.otherCustomerId)])
        return try await flow.merge(request, actor: actor)
    }

    public func transferOwnership(_ request: Xsc_Customers_V1_TransferOwnershipRequest, context: ServerContext) async throws -> Xsc_Customers_V1_TransferOwnershipResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        try LookupField.check([("new_owner_account_id", request.newOwnerAccountId, .key)])
        return try await flow.transfer(request, actor: actor)
    }

    public func transferAllCustomers(_ request: Xsc_Customers_V1_TransferAllCustomersRequest, context: ServerContext) async throws -> Xsc_Customers_V1_TransferAllCustomersResponse {
        let actor = try context.requireActor()
        try LookupField.check([("from_owner_account_id", request.fromOwnerAccountId, .key), ("new_owner_account_id", request.newOwnerAccountId, .key)])
        return try await flow.transferAll(request, actor: actor)
    }

    public func listAudit(_ request: Xsc_Customers_V1_ListAuditRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ListAuditResponse {
        let actor = try context.requireActor()
        try LookupField.check([("kind", request.kind, .code(maxLength: 32)), ("page.cursor", request.page?.cursor ?? "", .cursor)])
        return try await flow.listAudit(request, actor: actor)
    }

    public func bindIntermediary(_ request: Xsc_Customers_V1_BindIntermediaryRequest, context: ServerContext) async throws -> Xsc_Customers_V1_CustomerResponse {
        let actor = try context.requireActor()
        try LookupField.requireID(request.customerId, "customer_id")
        try LookupField.check([("intermediary_account_id", request.intermediaryAccountId, .key)])
        return try await flow.bind(request, actor: actor)
    }

    public func getRewardee(_ request: Xsc_Customers_V1_GetRewardeeRequest, context: ServerContext) async throws -> Xsc_Customers_V1_GetRewardeeResponse {
        try await flow.rewardee(request, actor: try context.requireActor())
    }

    public func getMyReferralCode(_ request: Xsc_Customers_V1_GetMyReferralCodeRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ReferralCode {
        try await flow.myReferralCode(actor: try context.requireActor())
    }

    public func resolveReferralCode(_ request: Xsc_Customers_V1_ResolveReferralCodeRequest, context: ServerContext) async throws -> Xsc_Customers_V1_ReferralCode {
        try await flow.resolveReferralCode(request, actor: try context.requireActor())
    }
}
