import Customers
import Messages
import RPC
import XCTest

/// The team's list (phone, name, tag, grade, cursor paging) and bulk import.
final class SearchImportTests: XCTestCase {
    func testSearchFiltersAndPages() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        for index in 0..<7 {
            _ = try await fixture.create(CustomersFixture.input("客户\(index)号", phones: ["1390000000\(index)"], address: "地址\(index)",
                                                                tags: index % 2 == 0 ? ["宴请"] : [], grade: index < 3 ? .a : .c),
                                         by: try fixture.salesA)
            fixture.clock.advance(by: .seconds(1))
        }
        var request = Xsc_Customers_V1_SearchCustomersRequest()
        var page = Xsc_Common_V1_PageRequest()
        page.pageSize = 3
        request.page = page
        var names: [String] = []
        while true {
            let answer = try await fixture.flow.search(request, actor: try fixture.salesA2)
            names += answer.customers.map(\.name)
            guard let next = answer.pageInfo?.nextCursor, !next.isEmpty else { break }
            request.page?.cursor = next
        }
        XCTAssertEqual(names, (0..<7).reversed().map { "客户\($0)号" })

        func search(_ change: (inout Xsc_Customers_V1_SearchCustomersRequest) -> Void) async throws -> [String] {
            var request = Xsc_Customers_V1_SearchCustomersRequest()
            change(&request)
            return try await fixture.flow.search(request, actor: try fixture.salesA).customers.map(\.name)
        }
        let byPhone = try await search { $0.phone = "139 0000 0003" }
        XCTAssertEqual(byPhone, ["客户3号"])
        let byPrefix = try await search { $0.phone = "1390" }
        XCTAssertEqual(byPrefix.count, 7)
        let fullWidth = try await search { $0.phone = "１３９０ ０００" }
        XCTAssertEqual(fullWidth.count, 7)
        let byName = try await search { $0.name = "5号" }
        XCTAssertEqual(byName, ["客户5号"])
        let wildcard = try await search { $0.name = "%" }
        XCTAssertEqual(wildcard, [])
        let byTag = try await search { $0.tag = "宴请" }
        XCTAssertEqual(byTag, ["客户6号", "客户4号", "客户2号", "客户0号"])
        let byGrade = try await search { $0.grade = .a; $0.tag = "宴请" }
        XCTAssertEqual(byGrade, ["客户2号", "客户0号"])
        await expectRPCError(.invalidArgument) { try await search { $0.phone = "1x" } }
        await expectRPCError(.invalidArgument) { try await search { $0.page = { var p = Xsc_Common_V1_PageRequest(); p.cursor = "nonsense"; return p }() } }
    }

    func testImportReportsEveryRowAndAResendChangesNothing() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        _ = try await fixture.create(CustomersFixture.input(phones: ["13500000000"]), by: try fixture.salesB)
        let rows: [Xsc_Customers_V1_CustomerInput] = [
            CustomersFixture.input("甲", phones: ["13600000001"], address: "一路"),
            CustomersFixture.input("乙", phones: ["not a phone"], address: "二路"),
            CustomersFixture.input("丙", phones: ["13500000000"], address: "三路"),
            CustomersFixture.input("丁", phones: ["023-6666 7777"], address: "四路"),
            CustomersFixture.input("甲", phones: ["136 0000 0001"], address: "一路"),
            CustomersFixture.input("甲", phones: ["13600000009"], address: "一 路"),
            CustomersFixture.input("庚", phones: ["13700000042"], address: "七路"),
        ]
        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("e-imp", phone: "13700000042", referrer: "ref-1"), actor: try fixture.system)
        let member = try fixture.salesA
        func run() async throws -> [Xsc_Customers_V1_ImportRowResult] {
            let stream = rows.map { input -> Xsc_Customers_V1_ImportCustomerRow in
                var row = Xsc_Customers_V1_ImportCustomerRow()
                row.customer = input
                return row
            }
            return try await fixture.flow.importForTests(stream, actor: member)
        }
        let first = try await run()
        XCTAssertEqual(first.map(\.outcome), ["created", "refused", "refused", "created", "existing", "created", "created"])
        XCTAssertEqual(first.map(\.index), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(first[4].customerId, first[0].customerId)
        XCTAssertEqual(first[1].error?.code, Int32(StatusCode.invalidArgument.rawValue))
        XCTAssertEqual(first[2].error?.code, Int32(StatusCode.alreadyExists.rawValue))
        XCTAssertEqual(first[2].error?.message, CustomersFixture.alreadyOwnedMessage)
        let second = try await run()
        XCTAssertEqual(second.map(\.outcome), ["existing", "refused", "refused", "existing", "existing", "existing", "existing"])
        XCTAssertEqual(second.map(\.customerId), first.map(\.customerId))
        let count = try await fixture.count("SELECT count(*) FROM customers WHERE origin = 'import'")
        XCTAssertEqual(count, 4)
        // The refused row was recorded against its owner once (the resend adds nothing); the
        // batch's own look-alike flagged once; the referral adopted.
        let attempts = try await fixture.count("SELECT count(*) FROM audit_entries WHERE kind = 'duplicate_attempt'")
        XCTAssertEqual(attempts, 1)
        let flags = try await fixture.flow.listNearDuplicates(.init(), actor: try fixture.adminA).nearDuplicates
        XCTAssertEqual(flags.map { [$0.customerId, $0.similarCustomerId, $0.reason] }, [[first[5].customerId, first[0].customerId, "same_name_address"]])
        let bound = try await fixture.flow.get(customerID: first[6].customerId, actor: try fixture.salesA)
        XCTAssertEqual(bound.customer?.binding?.intermediaryAccountId, "ref-1")
    }

    /// A row that loses one phone to another team is refused, and its other, free phone keeps
    /// the referral it collected (the batch claims referrals in the same round trip as the
    /// phones, so it must tell the losing row's phones apart itself); a winning row of the same
    /// batch adopts its own.
    func testAnImportRowThatLosesAPhoneLeavesItsOtherPhonesReferral() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        _ = try await fixture.create(CustomersFixture.input(phones: ["13500000000"]), by: try fixture.salesB)
        let system = try fixture.system
        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("e-lose", phone: "13700000077", referrer: "ref-lost"), actor: system)
        _ = try await fixture.flow.referrerSeen(BindingTests.referrerSeen("e-win", phone: "13700000088", referrer: "ref-won"), actor: system)
        let rows = [CustomersFixture.input("甲", phones: ["13500000000", "13700000077"], address: "一路"),
                    CustomersFixture.input("乙", phones: ["13700000088"], address: "二路")].map { input -> Xsc_Customers_V1_ImportCustomerRow in
            var row = Xsc_Customers_V1_ImportCustomerRow()
            row.customer = input
            return row
        }
        let results = try await fixture.flow.importForTests(rows, actor: try fixture.salesA)
        XCTAssertEqual(results.map(\.outcome), ["refused", "created"])
        XCTAssertEqual(results[0].error?.code, Int32(StatusCode.alreadyExists.rawValue))
        let waiting = try await fixture.count("SELECT count(*) FROM unclaimed_referrals WHERE phone = '13700000077'")
        XCTAssertEqual(waiting, 1)
        let won = try await fixture.flow.get(customerID: results[1].customerId, actor: try fixture.salesA)
        XCTAssertEqual(won.customer?.binding?.intermediaryAccountId, "ref-won")
        let phones = try await fixture.count("SELECT count(*) FROM customer_phones WHERE phone = '13700000077'")
        XCTAssertEqual(phones, 0)
        // Whoever registers the free phone later adopts its referral.
        let later = try await fixture.create(CustomersFixture.input("丙", phones: ["13700000077"], address: "三路"), by: try fixture.salesA)
        XCTAssertEqual(later.customer?.binding?.intermediaryAccountId, "ref-lost")
    }

    func testALargeImportGoesInBatchesAndRacesWithRegistrations() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        let rows = (0..<1_203).map { index -> Xsc_Customers_V1_ImportCustomerRow in
            var row = Xsc_Customers_V1_ImportCustomerRow()
            row.customer = CustomersFixture.input("批量\(index)", phones: [String(format: "159%08d", index)], address: "批量路\(index)号")
            return row
        }
        // Another team registers some of the same numbers at the same time: each number ends up with exactly one customer.
        let salesB = try fixture.salesB
        async let imported = fixture.flow.importForTests(rows, actor: try fixture.salesA)
        var taken = 0
        for index in stride(from: 0, to: 1_203, by: 97) {
            do {
                _ = try await fixture.create(CustomersFixture.input("抢先\(index)", phones: [String(format: "159%08d", index)], address: "别处"), by: salesB)
                taken += 1
            } catch let error as RPCError where error.code == .alreadyExists {}
        }
        let results = try await imported
        XCTAssertEqual(results.count, 1_203)
        XCTAssertEqual(results.map(\.index), (0..<1_203).map(Int32.init))
        let created = results.filter { $0.outcome == "created" }.count
        let refused = results.filter { $0.outcome == "refused" }.count
        XCTAssertEqual(created + refused, 1_203)
        XCTAssertEqual(refused, taken)
        let customers = try await fixture.count("SELECT count(*) FROM customers")
        XCTAssertEqual(customers, 1_203)
        let phones = try await fixture.count("SELECT count(*) FROM customer_phones")
        XCTAssertEqual(phones, 1_203)
    }
}
