import Customers
import Messages
import RPC
import XCTest

/// The tags in use in the caller's team (ListTags).
final class TagTests: XCTestCase {
    func testTagsAreCountedInTheCallersTeamOnly() async throws {
        let fixture = try await CustomersFixture.make(self)   // ServiceDatabase + the teams' members
        defer { fixture.close() }
        _ = try await fixture.create(CustomersFixture.input("客户甲", phones: ["13900000001"], address: "地址一", tags: ["宴请", "送礼"]),
                                     by: try fixture.salesA)
        _ = try await fixture.create(CustomersFixture.input("客户乙", phones: ["13900000002"], address: "地址二", tags: ["宴请"]),
                                     by: try fixture.salesA2)
        _ = try await fixture.create(CustomersFixture.input("客户丙", phones: ["13900000003"], address: "地址三", tags: ["自饮"]),
                                     by: try fixture.salesB)                          // another team
        let listed = try await fixture.flow.listTags(Xsc_Customers_V1_ListTagsRequest(), actor: try fixture.salesA)
        XCTAssertEqual(listed.tags.map { "\($0.tag):\($0.customers)" }, ["宴请:2", "送礼:1"])
    }

    func testLimitIsCheckedAndAncestorsSeeNoTags() async throws {
        let fixture = try await CustomersFixture.make(self)
        defer { fixture.close() }
        for index in 0..<3 {
            _ = try await fixture.create(CustomersFixture.input("客户\(index)号", phones: ["1390000001\(index)"], address: "地址\(index)",
                                                                tags: ["标签\(index)", "宴请"]),
                                         by: try fixture.salesA)
        }
        var request = Xsc_Customers_V1_ListTagsRequest()
        request.limit = 2
        let capped = try await fixture.flow.listTags(request, actor: try fixture.adminA)   // the team admin sees the same
        XCTAssertEqual(capped.tags.map(\.tag), ["宴请", "标签0"])
        for bad: Int32 in [-1, 101] {
            var invalid = Xsc_Customers_V1_ListTagsRequest()
            invalid.limit = bad
            let attempt = invalid
            await expectRPCError(.invalidArgument, "limit \(bad)") { try await fixture.flow.listTags(attempt, actor: try fixture.salesA) }
        }
        for outsider in [try fixture.officeLead, try fixture.hqAdmin, try fixture.intermediary] {   // no customer area: nothing
            let listed = try await fixture.flow.listTags(Xsc_Customers_V1_ListTagsRequest(), actor: outsider)
            XCTAssertEqual(listed.tags.count, 0)
        }
    }
}
