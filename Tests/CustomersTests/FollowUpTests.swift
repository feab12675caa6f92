import Customers
import Messages
import RPC
import ServiceKitStore
import XCTest

/// Follow-ups: fan-out to team members (an SMS and a task each, until done) and the due
/// reminder as a durable timer on the manual clock.
final class FollowUpTests: XCTestCase {
    func testTheDrillsPartTwo() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)

        var first = Xsc_Customers_V1_AddFollowUpRequest()
        first.customerId = customer.id
        first.channel = .phone
        first.outcome = .callBack
        first.content = "首次电话，约下周品鉴"
        _ = try await fixture.flow.addFollowUp(first, actor: try fixture.salesA, idempotencyKey: "f-1")
        fixture.clock.advance(by: .seconds(60))

        var second = first
        second.channel = .visit
        second.outcome = .interested
        second.content = "上门品鉴，客户满意"
        second.nextFollowUpAtMs = fixture.clock.nowMillis() + 3_000
        second.askAccountIds = ["sales-a2", "admin-a"]
        let added = try await fixture.flow.addFollowUp(second, actor: try fixture.salesA, idempotencyKey: "f-2")
        XCTAssertEqual(added.tasks.map(\.assigneeAccountId).sorted(), ["admin-a", "sales-a2"])
        let replay = try await fixture.flow.addFollowUp(second, actor: try fixture.salesA, idempotencyKey: "f-2")
        XCTAssertEqual(replay.followUp?.id, added.followUp?.id)

        let assigned = try await fixture.sms().filter { $0.template == "followup_assigned" }
        XCTAssertEqual(assigned.map(\.accountId).sorted(), ["admin-a", "sales-a2"])
        XCTAssertEqual(assigned.first?.params["asker"], "业务员 赵")
        XCTAssertEqual(assigned.first?.regionCode, "cq")

        let list = try await fixture.flow.listFollowUps({ var r = Xsc_Customers_V1_ListFollowUpsRequest(); r.customerId = customer.id; return r }(),
                                                         actor: try fixture.salesA2)
        XCTAssertEqual(list.followUps.map(\.content), ["上门品鉴，客户满意", "首次电话，约下周品鉴"])

        let tasks = try await fixture.flow.listMyTasks(.init(), actor: try fixture.salesA2)
        XCTAssertEqual(tasks.tasks.count, 1)
        XCTAssertEqual(tasks.tasks.first?.customerName, "张三")
        await expectRPCError(.notFound, "someone else's task") {
            try await fixture.flow.completeTask(taskID: tasks.tasks[0].id, actor: try fixture.salesA3)
        }
        let done = try await fixture.flow.completeTask(taskID: tasks.tasks[0].id, actor: try fixture.salesA2)
        XCTAssertEqual(done.task?.state, "done")
        let open = try await fixture.flow.listMyTasks(.init(), actor: try fixture.salesA2)
        XCTAssertTrue(open.tasks.isEmpty)

        // The reminder: not before it is due; once, to the owner, when it is.
        let worker = try fixture.timerWorker()
        let early = try await worker.runOnce()
        XCTAssertEqual(early, 0)
        fixture.clock.advance(by: .seconds(3))
        let fired = try await worker.runOnce()
        XCTAssertEqual(fired, 1)
        let again = try await worker.runOnce()
        XCTAssertEqual(again, 0)
        let reminders = try await fixture.sms().filter { $0.template == "followup_reminder" }
        XCTAssertEqual(reminders.map(\.accountId), ["sales-a1"])
        XCTAssertEqual(reminders.first?.params["customer"], "张三")
        XCTAssertEqual(reminders.first?.params["note"], "上门品鉴，客户满意")
    }

    func testALaterFollowUpMovesOrCancelsTheReminder() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)
        var request = Xsc_Customers_V1_AddFollowUpRequest()
        request.customerId = customer.id
        request.channel = .wechat
        request.outcome = .callBack
        request.content = "微信联系"
        request.nextFollowUpAtMs = fixture.clock.nowMillis() + 60_000
        _ = try await fixture.flow.addFollowUp(request, actor: try fixture.salesA, idempotencyKey: nil)
        request.nextFollowUpAtMs = 0
        request.outcome = .ordered
        _ = try await fixture.flow.addFollowUp(request, actor: try fixture.salesA2, idempotencyKey: nil)
        fixture.clock.advance(by: .seconds(120))
        let fired = try await fixture.timerWorker().runOnce()
        XCTAssertEqual(fired, 0)
        let reminders = try await fixture.sms().filter { $0.template == "followup_reminder" }
        XCTAssertTrue(reminders.isEmpty)
        let reloaded = try await fixture.flow.get(customerID: customer.id, actor: try fixture.salesA)
        XCTAssertEqual(reloaded.customer?.nextFollowUpAtMs, 0)
    }
}
