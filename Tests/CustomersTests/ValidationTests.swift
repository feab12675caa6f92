import Customers
import Messages
import RPC
import XCTest

/// Strict input (准确无错别字): every bad field at once, by its proto path.
final class ValidationTests: XCTestCase {
    func testEveryBadFieldIsReportedAtOnce() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        var input = CustomersFixture.input("\u{200B}", phones: ["12345", "13800138000", "+86 13800138000", "023-1234"],
                                           address: "重庆\u{0007}市", tags: [String(repeating: "标", count: 21), "ok"])
        input.districtId = "CQ O1"
        var maker = Xsc_Customers_V1_Contact()
        maker.name = "王\u{FFFD}"
        maker.phone = "555"
        maker.notes = "生日 3月1日\n喜欢 52度"
        input.decisionMaker = maker
        input.grade = .unrecognized(9)
        let error = await expectRPCError(.invalidArgument) { try await fixture.create(input, by: try fixture.salesA) }
        XCTAssertEqual(Set(error?.violatedFields ?? []), [
            "customer.name", "customer.phones[0]", "customer.phones[2]", "customer.phones[3]", "customer.address",
            "customer.district_id", "customer.grade", "customer.decision_maker.name", "customer.decision_maker.phone",
            "customer.tags[0]",
        ])
        XCTAssertEqual(error?.reason, "INVALID_ARGUMENT")
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 0)
    }

    func testEdgeInputsThatAreFine() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        // Full-width digits, 0086, brackets; ideographic spaces trimmed; a 50-character name.
        let name = String(repeating: "酒", count: 50)
        let input = CustomersFixture.input("\u{3000}\(name)\u{3000}", phones: ["１３９１２３４５６７８", "(0755) 8123-4567"], address: " 深圳市南山区 ")
        let created = try await fixture.create(input, by: try fixture.salesA)
        XCTAssertEqual(created.customer?.name, name)
        XCTAssertEqual(created.customer?.address, "深圳市南山区")
        XCTAssertEqual(created.customer?.phones.count, 2)
        XCTAssertEqual(created.customer?.phones.last, "075581234567")

        await expectRPCError(.invalidArgument, "51 characters") {
            try await fixture.create(CustomersFixture.input(String(repeating: "酒", count: 51), phones: ["13700137000"]), by: try fixture.salesA)
        }
        await expectRPCError(.invalidArgument, "no phones") {
            try await fixture.create(CustomersFixture.input(phones: []), by: try fixture.salesA)
        }
        await expectRPCError(.invalidArgument, "digits only name") {
            try await fixture.create(CustomersFixture.input("12345", phones: ["13700137000"]), by: try fixture.salesA)
        }
        await expectRPCError(.invalidArgument, "six phones") {
            try await fixture.create(CustomersFixture.input(phones: (0..<6).map { "1370013700\($0)" }), by: try fixture.salesA)
        }
    }

    func testFollowUpFields() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let customer = try unwrap(try await fixture.create(CustomersFixture.input(), by: try fixture.salesA).customer)
        var request = Xsc_Customers_V1_AddFollowUpRequest()
        request.customerId = customer.id
        request.content = "  "
        request.nextFollowUpAtMs = fixture.clock.nowMillis() - 1
        request.askAccountIds = ["sales-a1", "sales-a2", "sales-a2"]
        let error = await expectRPCError(.invalidArgument) { try await fixture.flow.addFollowUp(request, actor: try fixture.salesA, idempotencyKey: nil) }
        XCTAssertEqual(Set(error?.violatedFields ?? []), ["channel", "content", "outcome", "next_follow_up_at_ms",
                                                         "ask_account_ids[0]", "ask_account_ids[2]"])
        request = Xsc_Customers_V1_AddFollowUpRequest()
        request.customerId = customer.id
        request.channel = .phone
        request.outcome = .interested
        request.content = "电话沟通，客户\n有意向"
        request.askAccountIds = ["sales-b1", "nobody", "lead-o1"]
        let members = await expectRPCError(.invalidArgument) { try await fixture.flow.addFollowUp(request, actor: try fixture.salesA, idempotencyKey: nil) }
        XCTAssertEqual(members?.violatedFields, ["ask_account_ids[0]", "ask_account_ids[1]", "ask_account_ids[2]"])
    }
}
