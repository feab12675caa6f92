import Customers
import Messages
import RPC
import ServiceKit
import XCTest

/// Closed team (DOMAIN.md, information security): every id-taking call from another team or an
/// ancestor answers exactly what a missing id gets; ancestors see aggregated counts only.
final class ClosedTeamTests: XCTestCase {
    func testEveryIdTakingCallAnswersNotFoundOutsideTheTeam() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)
        var followUp = Xsc_Customers_V1_AddFollowUpRequest()
        followUp.customerId = customer.id
        followUp.channel = .visit
        followUp.outcome = .interested
        followUp.content = "上门拜访"
        followUp.askAccountIds = ["sales-a2"]
        let added = try await fixture.flow.addFollowUp(followUp, actor: try fixture.salesA, idempotencyKey: nil)
        let taskID = try XCTUnwrap(added.tasks.first?.id)
        _ = try await fixture.create(CustomersFixture.input("张三", phones: ["13800138001"]), by: try fixture.salesA2)
        let flagID = try unwrap(try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.adminA).nearDuplicates.first?.id)

        let missing = "0192f0c4-0000-7000-8000-000000000000"
        func calls(_ id: String, task: String, flag: String) -> [(String, (VerifiedActor) async throws -> Any)] {
            var get = Xsc_Customers_V1_ListFollowUpsRequest()
            get.customerId = id
            var update = Xsc_Customers_V1_UpdateCustomerRequest()
            update.customerId = id
            update.customer = CustomersFixture.input(phones: ["13300133000"])
            var add = followUp
            add.customerId = id
            add.askAccountIds = []
            var bind = Xsc_Customers_V1_BindIntermediaryRequest()
            bind.customerId = id
            bind.intermediaryAccountId = "ref-1"
            var merge = Xsc_Customers_V1_MergeCustomersRequest()
            merge.customerId = id
            merge.otherCustomerId = id
            var transfer = Xsc_Customers_V1_TransferOwnershipRequest()
            transfer.customerId = id
            transfer.newOwnerAccountId = "sales-a2"
            return [
                ("GetCustomer", { try await fixture.flow.get(customerID: id, actor: $0) }),
                ("UpdateCustomer", { try await fixture.flow.update(update, actor: $0) }),
                ("AddFollowUp", { try await fixture.flow.addFollowUp(add, actor: $0, idempotencyKey: nil) }),
                ("ListFollowUps", { try await fixture.flow.listFollowUps(get, actor: $0) }),
                ("BindIntermediary", { try await fixture.flow.bind(bind, actor: $0) }),
                ("MergeCustomers", { try await fixture.flow.merge(merge, actor: $0) }),
                ("TransferOwnership", { try await fixture.flow.transfer(transfer, actor: $0) }),
                ("CompleteTask", { try await fixture.flow.completeTask(taskID: task, actor: $0) }),
                ("DismissNearDuplicate", { try await fixture.flow.dismissNearDuplicate(id: flag, actor: $0) }),
            ]
        }
        // Another team, ancestors (an office lead, HQ) and a non-salesperson of the team itself.
        let outsiders = [try fixture.salesB, try fixture.adminB, try fixture.officeLead, try fixture.hqAdmin, try fixture.intermediary]
        let real = calls(customer.id, task: taskID, flag: flagID)
        let fake = calls(missing, task: missing, flag: missing)
        for outsider in outsiders {
            for (index, (name, call)) in real.enumerated() {
                let refused = await expectRPCError(.notFound, "\(name) by \(outsider.accountID)") { try await call(outsider) }
                // The same id answered for a missing object: same bytes once the id is swapped.
                let absent = await expectRPCError(.notFound, "\(name) missing") { try await fake[index].1(outsider) }
                let ids = [customer.id, taskID, flagID]
                let shown = ids.reduce(refused?.message ?? "") { $0.replacingOccurrences(of: $1, with: missing) }
                XCTAssertEqual(shown, absent?.message, name)
                // The status details (message, ErrorInfo) byte for byte, with the id swapped the same way.
                var status = try Google_Rpc_Status(serializedBytes: try unwrap(refused?.details))
                status.message = shown
                XCTAssertEqual(status.serializedBytes(), absent?.details, name)
            }
        }
        // Another team's search shows nothing of it.
        var search = Xsc_Customers_V1_SearchCustomersRequest()
        search.phone = "13800138000"
        for outsider in outsiders {
            let found = try await fixture.flow.search(search, actor: outsider)
            XCTAssertTrue(found.customers.isEmpty, outsider.accountID)
        }
    }

    func testAncestorsGetCountsPerTeamOnly() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        _ = try await fixture.create(CustomersFixture.input(phones: ["13800138000"], grade: .a), by: try fixture.salesA)
        _ = try await fixture.create(CustomersFixture.input("李四", phones: ["13800138111"], address: "重庆市沙坪坝区", grade: .b), by: try fixture.salesA2)
        _ = try await fixture.create(CustomersFixture.input("王五", phones: ["13900139000"], address: "成都市"), by: try fixture.salesB)
        let office = try await fixture.flow.count(actor: try fixture.officeLead)
        XCTAssertEqual(office.teams.map(\.teamPath), [CustomersFixture.teamA])
        XCTAssertEqual(office.teams.first?.customers, 2)
        XCTAssertEqual(office.teams.first?.gradeA, 1)
        XCTAssertEqual(office.teams.first?.gradeB, 1)
        let hq = try await fixture.flow.count(actor: try fixture.hqAdmin)
        XCTAssertEqual(hq.teams.map(\.teamPath), [CustomersFixture.teamA, CustomersFixture.teamB])
        let teamB = try await fixture.flow.count(actor: try fixture.salesB)
        XCTAssertEqual(teamB.teams.map(\.customers), [1])
    }
}
