import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Follow-ups: every contact recorded; colleagues asked to follow up get an SMS and a task
/// each; the customer's next follow-up time is a durable timer that reminds its owner.
extension CustomerFlow {
    static let reminderTimer = "customers.followup_due"

    public func addFollowUp(_ request: Xsc_Customers_V1_AddFollowUpRequest, actor: VerifiedActor,
                            idempotencyKey: String?) async throws -> Xsc_Customers_V1_FollowUpResponse {
        let member = try TeamMember.reader(actor, "customer", request.customerId)
        let now = clock()
        let valid = try FollowUpValidation.validate(request, author: member.accountID, now: now)
        // Asked people must be enabled salespeople or the admin of the caller's team (which is
        // the customer's, or the customer is not found): the same refusal for an unknown
        // account and one of another team. Read before the transaction (AccountDirectory).
        let known = try await directory.members(valid.asked + [member.accountID])
        var problems = FieldViolations()
        for (index, id) in valid.asked.enumerated() where known.first(where: { $0.id == id })?.worksCustomers(of: member.teamPath) != true {
            problems.add("ask_account_ids[\(index)]", "not an active salesperson or admin of your team: \(id)")
        }
        try problems.check()
        let asker = known.first { $0.id == member.accountID }?.name ?? "同事"
        return try await pool.transaction { tx in
            guard let idempotencyKey else {
                return try await recordFollowUp(valid, customerID: request.customerId, member: member, asker: asker, now: now, in: tx)
            }
            return try await idempotency.run(in: tx, scope: "customers.AddFollowUp/" + member.accountID, key: idempotencyKey, request: request) {
                try await recordFollowUp(valid, customerID: request.customerId, member: member, asker: asker, now: now, in: tx)
            }
        }
    }

    private func recordFollowUp(_ valid: ValidFollowUp, customerID: String, member: TeamMember, asker: String, now: Int64,
                                in tx: PostgresTransaction) async throws -> Xsc_Customers_V1_FollowUpResponse {
        let customer = try await teamCustomer(customerID, for: member, forUpdate: true, in: tx)

        let followUp = try await followUps.insert(.init(id: makeID(), customerID: customer.id, author: member.accountID,
                                                        channel: valid.channel, content: valid.content, outcome: valid.outcome,
                                                        nextAt: valid.nextAtMillis, asked: valid.asked, at: now), in: tx)
        for id in valid.asked {
            try await followUps.insertTask(id: makeID(), followUpID: followUp.id, customerID: customer.id, team: customer.teamPath,
                                           assignee: id, askedBy: member.accountID, at: now, in: tx)
            try await notifier.send("followup_assigned", to: id, params: ["asker": asker, "customer": customer.name, "note": valid.content],
                                    region: TeamMember.regionCode(of: customer.teamPath), in: tx)
        }
        // The latest follow-up decides the next one: a new time replaces the reminder, none cancels it.
        try await store.setNextFollowUp(customer.id, at: valid.nextAtMillis, now: now, in: tx)
        if let due = valid.nextAtMillis {
            try await timers.schedule(in: tx, kind: Self.reminderTimer, subjectID: customer.id, dueAtMillis: due)
        } else {
            try await timers.cancel(in: tx, kind: Self.reminderTimer, subjectID: customer.id)
        }
        var response = Xsc_Customers_V1_FollowUpResponse()
        response.followUp = followUp
        response.tasks = try await followUps.tasks(ofFollowUp: followUp.id, in: tx)
        return response
    }

    public func listFollowUps(_ request: Xsc_Customers_V1_ListFollowUpsRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ListFollowUpsResponse {
        let member = try TeamMember.reader(actor, "customer", request.customerId)
        guard let customer = try await store.load(request.customerId, pool: pool), customer.teamPath == member.teamPath else {
            throw CustomerErrors.notFound("customer", request.customerId)
        }
        let cursor = try PageCursor.parse(request.page?.cursor)
        let size = PageCursor.size(request.page?.pageSize ?? 0)
        let items = try await followUps.list(customerID: customer.id, after: cursor, limit: size + 1, pool: pool)
        var response = Xsc_Customers_V1_ListFollowUpsResponse()
        response.followUps = Array(items.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if items.count > size, let last = response.followUps.last { info.nextCursor = PageCursor(millis: last.createdAtMs, id: last.id).text }
        response.pageInfo = info
        return response
    }

    public func listMyTasks(_ request: Xsc_Customers_V1_ListMyTasksRequest, actor: VerifiedActor) async throws -> Xsc_Customers_V1_ListMyTasksResponse {
        guard let member = TeamMember(actor) else { return Xsc_Customers_V1_ListMyTasksResponse() }
        let cursor = try PageCursor.parse(request.page?.cursor)
        let size = PageCursor.size(request.page?.pageSize ?? 0)
        let items = try await followUps.tasks(of: member.accountID, team: member.teamPath, includeDone: request.includeDone,
                                              after: cursor, limit: size + 1, pool: pool)
        var response = Xsc_Customers_V1_ListMyTasksResponse()
        response.tasks = Array(items.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if items.count > size, let last = response.tasks.last { info.nextCursor = PageCursor(millis: last.createdAtMs, id: last.id).text }
        response.pageInfo = info
        return response
    }

    /// Only the assignee completes its task; anyone else is told it does not exist.
    public func completeTask(taskID: String, actor: VerifiedActor) async throws -> Xsc_Customers_V1_TaskResponse {
        let member = try TeamMember.reader(actor, "task", taskID)
        return try await pool.transaction { tx in
            guard let (task, team) = try await followUps.loadTask(taskID, in: tx), team == member.teamPath,
                  task.assigneeAccountId == member.accountID else {
                throw CustomerErrors.notFound("task", taskID)
            }
            try await followUps.completeTask(task.id, at: clock(), in: tx)
            var response = Xsc_Customers_V1_TaskResponse()
            response.task = try await followUps.loadTask(task.id, in: tx)?.task ?? task
            return response
        }
    }
}
