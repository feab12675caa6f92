import Customers
import Messages
import RPC
import XCTest

/// First-creator ownership across all teams (DOMAIN.md): the phone index decides, the
/// refusal names nothing of the owner's record, the attempt is recorded and the owner told.
final class OwnershipTests: XCTestCase {
    func testCreateNormalisesAndTheOwnerGetsTheSameCustomerBack() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let input = CustomersFixture.input(" 张三 ", phones: ["+86 138-0013-8000", "023-8888 9999"], tags: ["白酒", "白酒", "团购"], grade: .a)
        let created = try await fixture.create(input, by: try fixture.salesA)
        let customer = try XCTUnwrap(created.customer)
        XCTAssertFalse(created.existing)
        XCTAssertEqual(customer.name, "张三")
        XCTAssertEqual(customer.phones, ["13800138000", "02388889999"])
        XCTAssertEqual(customer.tags, ["白酒", "团购"])
        XCTAssertEqual(customer.grade, .a)
        XCTAssertEqual(customer.ownerAccountId, "sales-a1")
        XCTAssertEqual(customer.teamPath, CustomersFixture.teamA)

        let again = try await fixture.create(CustomersFixture.input(phones: ["13800138000"]), by: try fixture.salesA)
        XCTAssertTrue(again.existing)
        XCTAssertEqual(again.customer?.id, customer.id)

        let keyed = try await fixture.create(CustomersFixture.input(phones: ["13900139000"]), by: try fixture.salesA, key: "k-1")
        let replayed = try await fixture.create(CustomersFixture.input(phones: ["13900139000"]), by: try fixture.salesA, key: "k-1")
        XCTAssertEqual(keyed.serializedBytes(), replayed.serializedBytes())
        await expectRPCError(.failedPrecondition, "same key, other request") {
            try await fixture.create(CustomersFixture.input(phones: ["13700137000"]), by: try fixture.salesA, key: "k-1")
        }
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 2)
    }

    func testASecondCreatorAnywhereIsRefusedWithTheSameBytesWhoeverTheOwnerIs() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let ownedByA = try await fixture.create(CustomersFixture.input("王总", phones: ["13800138000"], address: "重庆市江北区1号"), by: try fixture.salesA)
        _ = try await fixture.create(CustomersFixture.input("李经理", phones: ["13911112222"], address: "成都市锦江区9号"), by: try fixture.salesB)

        // B's team tries A's customer; A's team (another salesperson) tries B's.
        let first = await expectRPCError(.alreadyExists) {
            try await fixture.create(CustomersFixture.input("王", phones: ["138 0013 8000"]), by: try fixture.salesB)
        }
        let second = await expectRPCError(.alreadyExists) {
            try await fixture.create(CustomersFixture.input("李", phones: ["13911112222"]), by: try fixture.salesA2)
        }
        XCTAssertEqual(first?.message, second?.message)
        XCTAssertEqual(first?.details, second?.details)
        XCTAssertEqual(first?.reason, "CUSTOMER_ALREADY_OWNED")
        for leaked in ["王总", "江北", "sales-a1", "t7", "cq", ownedByA.customer?.id ?? "?", "13800138000"] {
            XCTAssertFalse(first?.message.contains(leaked) ?? true, "the refusal names \(leaked)")
        }

        // Under an idempotency key, a retry is refused again the same way (nothing half-stored).
        for _ in 0..<2 {
            let keyed = await expectRPCError(.alreadyExists) {
                try await fixture.create(CustomersFixture.input("王", phones: ["13800138000"]), by: try fixture.salesB, key: "retry-1")
            }
            XCTAssertEqual(keyed?.details, first?.details)
        }
        let attempts = try await fixture.count("SELECT count(*) FROM audit_entries WHERE kind = 'duplicate_attempt'")
        XCTAssertEqual(attempts, 3, "the keyed retry is recorded once")
        let sms = try await fixture.sms().filter { $0.template == "customer_duplicate_attempt" }
        XCTAssertEqual(sms.map(\.accountId).sorted(), ["sales-a1", "sales-a1", "sales-b1"])
        XCTAssertEqual(sms.first { $0.accountId == "sales-a1" }?.params["phone"], "138****8000")
        // The owner's team admin sees the attempt in the audit trail.
        var request = Xsc_Customers_V1_ListAuditRequest()
        request.kind = "duplicate_attempt"
        let audit = try await fixture.flow.listAudit(request, actor: try fixture.adminA)
        XCTAssertEqual(Set(audit.entries.map(\.customerId)), [ownedByA.customer?.id ?? ""])
        XCTAssertEqual(audit.entries.count, 2)
    }

    func testTwentyConcurrentCreatesOfOnePhoneFromTwoTeamsMakeOneCustomer() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let actors = [try fixture.salesA, try fixture.salesB, try fixture.salesA2, try fixture.adminB]
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<20 {
                let actor = actors[index % actors.count]
                group.addTask {
                    do {
                        let response = try await fixture.create(CustomersFixture.input("客户\(index)", phones: ["15012345678"]), by: actor)
                        return response.existing ? "existing" : "created"
                    } catch let error as RPCError {
                        return error.code == .alreadyExists ? "refused" : "error \(error.code) \(error.message)"
                    } catch {
                        return "error \(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        XCTAssertEqual(outcomes.filter { $0 == "created" }.count, 1, "\(outcomes)")
        XCTAssertTrue(outcomes.allSatisfy { ["created", "existing", "refused"].contains($0) }, "\(outcomes)")
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 1)
        let owner = try await fixture.pool.query("SELECT owner_account_id FROM customers")[0].decode(String.self, at: 0)
        // The refusals were recorded against the one customer once per refused person (a person's
        // repeats on one day are one attempt); the owner's own repeats not at all.
        let refused = outcomes.filter { $0 == "refused" }.count
        XCTAssertEqual(refused, 15)
        let recorded = try await fixture.count("SELECT count(*) FROM audit_entries WHERE kind = 'duplicate_attempt'")
        XCTAssertEqual(recorded, 3)
        let told = try await fixture.sms().filter { $0.template == "customer_duplicate_attempt" }.count
        XCTAssertEqual(told, 3)
        XCTAssertEqual(outcomes.filter { $0 == "existing" }.count, 20 / actors.count - 1, "owner \(owner): \(outcomes)")
    }

    func testAnUpdateThatAddsSomeoneElsesPhoneIsRefusedTheSameWay() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        _ = try await fixture.create(CustomersFixture.input(phones: ["13800138000"]), by: try fixture.salesB)
        let mine = try unwrap(try await fixture.create(CustomersFixture.input("赵六", phones: ["13600136000"]), by: try fixture.salesA).customer)
        var request = Xsc_Customers_V1_UpdateCustomerRequest()
        request.customerId = mine.id
        request.customer = CustomersFixture.input("赵六", phones: ["13600136000", "13800138000"])
        let refusal = await expectRPCError(.alreadyExists) { try await fixture.flow.update(request, actor: try fixture.salesA) }
        XCTAssertEqual(refusal?.message, CustomersFixture.alreadyOwnedMessage)

        request.customer = CustomersFixture.input("赵六", phones: ["13600136000", "010-62345678"], tags: ["老客户"])
        request.expectedVersion = mine.version
        let updated = try await fixture.flow.update(request, actor: try fixture.salesA)
        XCTAssertEqual(updated.customer?.phones, ["13600136000", "01062345678"])
        XCTAssertEqual(updated.customer?.version, mine.version + 1)
        await expectRPCError(.failedPrecondition, "stale version") { try await fixture.flow.update(request, actor: try fixture.salesA) }
        request.expectedVersion = 0
        await expectRPCError(.permissionDenied, "not the owner") { try await fixture.flow.update(request, actor: try fixture.salesA2) }
        _ = try await fixture.flow.update(request, actor: try fixture.adminA)
    }
}

extension CustomersFixture {
    static let alreadyOwnedMessage = "this customer is already registered by another salesperson, who keeps it (first registration wins); their details are not shown. Ask your team admin if the customer wants to change salesperson"
}
