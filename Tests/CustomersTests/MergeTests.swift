import Customers
import Messages
import RPC
import XCTest

/// Near-duplicates flagged for the team admin; merge (earliest owner wins, follow-ups and the
/// binding move), ownership transfer; both audited.
final class MergeTests: XCTestCase {
    func testNearDuplicatesAreFlaggedAndMergeKeepsTheEarliestOwner() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let older = try unwrap(try await fixture.create(CustomersFixture.input("张三", phones: ["13812345678"]), by: try fixture.salesA).customer)
        fixture.clock.advance(by: .seconds(10))
        // Same name and address written differently, another phone.
        let sameName = try await fixture.create(CustomersFixture.input(" 张 三", phones: ["13900000000"], address: "重庆市 渝中区 解放碑1号"), by: try fixture.salesA2)
        XCTAssertEqual(sameName.nearDuplicateIds, [older.id])
        fixture.clock.advance(by: .seconds(10))
        // Two neighbouring digits swapped (…5678 -> …5687), other name.
        let swapped = try await fixture.create(CustomersFixture.input("李四", phones: ["13812345687"], address: "别处"), by: try fixture.salesA3)
        XCTAssertEqual(swapped.nearDuplicateIds, [older.id])
        // Another team's look-alike is not theirs to see.
        let elsewhere = try await fixture.create(CustomersFixture.input("张三", phones: ["13600000000"]), by: try fixture.salesB)
        XCTAssertEqual(elsewhere.nearDuplicateIds, [])

        let adminSMS = try await fixture.sms().filter { $0.template == "customer_near_duplicate" }
        XCTAssertEqual(adminSMS.map(\.accountId), ["admin-a", "admin-a"])
        await expectRPCError(.permissionDenied) { try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.salesA) }
        let flags = try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.adminA)
        XCTAssertEqual(Set(flags.nearDuplicates.map(\.reason)), ["same_name_address", "phone_transposition"])

        // The newer one has follow-ups and a binding; the older one has neither.
        let newer = try XCTUnwrap(sameName.customer)
        var followUp = Xsc_Customers_V1_AddFollowUpRequest()
        followUp.customerId = newer.id
        followUp.channel = .phone
        followUp.outcome = .interested
        followUp.content = "新号码联系上了"
        followUp.nextFollowUpAtMs = fixture.clock.nowMillis() + 86_400_000
        followUp.askAccountIds = ["sales-a3"]
        _ = try await fixture.flow.addFollowUp(followUp, actor: try fixture.salesA2, idempotencyKey: nil)
        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("e1", phone: "13900000000", referrer: "ref-1"), actor: try fixture.system)

        var merge = Xsc_Customers_V1_MergeCustomersRequest()
        merge.customerId = newer.id
        merge.otherCustomerId = older.id
        await expectRPCError(.permissionDenied) { try await fixture.flow.merge(merge, actor: try fixture.salesA) }
        let merged = try await fixture.flow.merge(merge, actor: try fixture.adminA)
        XCTAssertEqual(merged.survivor?.id, older.id)
        XCTAssertEqual(merged.survivor?.ownerAccountId, "sales-a1")
        XCTAssertEqual(merged.survivor?.phones, ["13812345678", "13900000000"])
        XCTAssertEqual(merged.survivor?.binding?.intermediaryAccountId, "ref-1")
        XCTAssertEqual(merged.survivor?.nextFollowUpAtMs, followUp.nextFollowUpAtMs)
        XCTAssertEqual(merged.mergedCustomerId, newer.id)
        XCTAssertEqual(merged.followUpsMoved, 1)

        await expectRPCError(.notFound, "the merged one is gone") { try await fixture.flow.get(customerID: newer.id, actor: try fixture.salesA2) }
        var list = Xsc_Customers_V1_ListFollowUpsRequest()
        list.customerId = older.id
        let moved = try await fixture.flow.listFollowUps(list, actor: try fixture.salesA)
        XCTAssertEqual(moved.followUps.map(\.content), ["新号码联系上了"])
        let tasks = try await fixture.flow.listMyTasks(.init(), actor: try fixture.salesA3)
        XCTAssertEqual(tasks.tasks.map(\.customerId), [older.id])
        // The moved phone still belongs to the survivor: registering it again is refused.
        await expectRPCError(.alreadyExists) { try await fixture.create(CustomersFixture.input(phones: ["13900000000"]), by: try fixture.salesB) }
        let rewardee = try await fixture.flow.rewardee({ var r = Xsc_Customers_V1_GetRewardeeRequest(); r.customerPhone = "13812345678"; return r }(),
                                                       actor: try fixture.system)
        XCTAssertEqual(rewardee.intermediaryAccountId, "ref-1")

        var audit = Xsc_Customers_V1_ListAuditRequest()
        audit.kind = "merge"
        let entries = try await fixture.flow.listAudit(audit, actor: try fixture.adminA)
        XCTAssertEqual(entries.entries.count, 1)
        XCTAssertTrue(entries.entries[0].detail.contains(newer.id))
        let open = try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.adminA)
        XCTAssertEqual(open.nearDuplicates.map(\.reason), ["phone_transposition"])
        let dismissed = try await fixture.flow.dismissNearDuplicate(id: open.nearDuplicates[0].id, actor: try fixture.adminA)
        XCTAssertEqual(dismissed.state, "dismissed")

        // The reminder moved with the follow-up.
        fixture.clock.advance(by: .seconds(86_400))
        _ = try await fixture.timerWorker().runOnce()
        let reminders = try await fixture.sms().filter { $0.template == "followup_reminder" }
        XCTAssertEqual(reminders.map(\.accountId), ["sales-a1"])
    }

    func testTransferByTheTeamAdminIsAudited() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)
        var request = Xsc_Customers_V1_TransferOwnershipRequest()
        request.customerId = customer.id
        request.newOwnerAccountId = "sales-a2"
        request.reason = "赵离职"
        await expectRPCError(.permissionDenied) { try await fixture.flow.transfer(request, actor: try fixture.salesA) }
        let moved = try await fixture.flow.transfer(request, actor: try fixture.adminA)
        XCTAssertEqual(moved.customer?.ownerAccountId, "sales-a2")
        request.newOwnerAccountId = "sales-b1"
        await expectRPCError(.invalidArgument, "another team's salesperson") { try await fixture.flow.transfer(request, actor: try fixture.adminA) }
        var audit = Xsc_Customers_V1_ListAuditRequest()
        audit.kind = "transfer"
        let entries = try await fixture.flow.listAudit(audit, actor: try fixture.adminA)
        XCTAssertEqual(entries.entries.map(\.detail), ["owner sales-a1 -> sales-a2: 赵离职"])
        XCTAssertEqual(entries.entries.map(\.actorAccountId), ["admin-a"])
        let other = try await fixture.flow.listAudit(audit, actor: try fixture.adminB)
        XCTAssertTrue(other.entries.isEmpty)
    }

    func testAllCustomersOfALeavingSalespersonMoveAtOnce() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        for index in 0..<3 {
            _ = try await fixture.create(CustomersFixture.input("客户\(index)", phones: ["1380000000\(index)"], address: "路\(index)"), by: try fixture.salesA)
        }
        _ = try await fixture.create(CustomersFixture.input("别人的", phones: ["13900000000"], address: "别处"), by: try fixture.salesA2)
        var request = Xsc_Customers_V1_TransferAllCustomersRequest()
        request.fromOwnerAccountId = "sales-a1"
        request.newOwnerAccountId = "sales-a3"
        request.reason = "赵离职"
        await expectRPCError(.permissionDenied) { try await fixture.flow.transferAll(request, actor: try fixture.salesA2) }
        // Another team's admin can name no salesperson of this team, and moves nothing of it.
        await expectRPCError(.invalidArgument) { try await fixture.flow.transferAll(request, actor: try fixture.adminB) }
        var own = request
        own.newOwnerAccountId = "sales-b1"
        let other = try await fixture.flow.transferAll(own, actor: try fixture.adminB)
        XCTAssertEqual(other.transferred, 0)
        request.newOwnerAccountId = "sales-b1"
        await expectRPCError(.invalidArgument) { try await fixture.flow.transferAll(request, actor: try fixture.adminA) }
        request.newOwnerAccountId = "sales-a3"
        let moved = try await fixture.flow.transferAll(request, actor: try fixture.adminA)
        XCTAssertEqual(moved.transferred, 3)
        var search = Xsc_Customers_V1_SearchCustomersRequest()
        search.ownerAccountId = "sales-a3"
        let theirs = try await fixture.flow.search(search, actor: try fixture.salesA3)
        XCTAssertEqual(theirs.customers.count, 3)
        let audited = try await fixture.count("SELECT count(*) FROM audit_entries WHERE kind = 'transfer'")
        XCTAssertEqual(audited, 3)
    }
}
