import DomainKit
import XCTest

final class OrgAndSuperiorsTests: XCTestCase {
    private let team = "/hq/cq/cq-o1/cq-o1-d3/t7"

    private func account(_ id: String, _ role: DomainRole, _ path: String, enabled: Bool = true) -> DirectoryAccount {
        DirectoryAccount(id: id, name: id, role: role, nodePath: path, enabled: enabled)
    }

    func testPaths() {
        XCTAssertEqual(OrgPath.ancestors(of: "/hq/cq/cq-o1"), ["/hq/cq/cq-o1", "/hq/cq", "/hq"])
        XCTAssertEqual(OrgPath.ancestors(of: "/hq"), ["/hq"])
        XCTAssertEqual(OrgPath.ancestors(of: ""), [])
        XCTAssertTrue(OrgPath.isWithin(team, subtree: "/hq/cq"))
        XCTAssertTrue(OrgPath.isWithin("/hq/cq", subtree: "/hq/cq"))
        XCTAssertFalse(OrgPath.isWithin("/hq/cq2", subtree: "/hq/cq"))
        XCTAssertEqual(OrgPath.region(of: team), "cq")
        XCTAssertEqual(OrgPath.regionPath(of: team), "/hq/cq")
        XCTAssertNil(OrgPath.regionPath(of: "/hq"))
        XCTAssertEqual(OrgPath.segment(team, level: 4), "t7")
    }

    func testChainClimbsTheTreeNearestFirst() {
        let person = account("sales", .salesperson, team)
        let candidates = [
            account("hq", .hqAdmin, "/hq"),
            account("rm", .regionalManager, "/hq/cq"),
            account("cs", .customerService, "/hq/cq"),
            account("office", .officeOrderLead, "/hq/cq/cq-o1"),
            account("district", .districtOrderLead, "/hq/cq/cq-o1/cq-o1-d3"),
            account("admin", .teamAdmin, team),
            account("peer", .salesperson, team),                                // leads nobody
            account("other-admin", .teamAdmin, "/hq/cq/cq-o1/cq-o1-d3/t8"),     // another team
            account("old-admin", .teamAdmin, team, enabled: false),             // disabled
            account("sc-rm", .regionalManager, "/hq/sc"),                       // another region
        ]
        let chain = Superiors.chain(above: person, candidates: candidates).map { $0.map(\.id) }
        XCTAssertEqual(chain, [["admin"], ["district"], ["office"], ["cs"], ["rm"], ["hq"]])
    }

    func testALeaderSkipsItsOwnAndLowerRanks() {
        let lead = account("district", .districtOrderLead, "/hq/cq/cq-o1/cq-o1-d3")
        let candidates = [account("office-a", .officeOrderLead, "/hq/cq/cq-o1"), account("office-b", .officeOrderLead, "/hq/cq/cq-o1"),
                          account("other-district", .districtOrderLead, "/hq/cq/cq-o1/cq-o1-d3"),
                          account("admin", .teamAdmin, "/hq/cq/cq-o1/cq-o1-d3"), account("rm", .regionalManager, "/hq/cq")]
        XCTAssertEqual(Superiors.chain(above: lead, candidates: candidates).map { $0.map(\.id) }, [["office-a", "office-b"], ["rm"]])
    }

    func testAMissingLevelIsSkippedAndTheTopHasNoSuperior() {
        let person = account("sales", .salesperson, team)
        XCTAssertEqual(Superiors.chain(above: person, candidates: [account("rm", .regionalManager, "/hq/cq")]).map { $0.map(\.id) },
                       [["rm"]])
        let top = account("hq", .hqAdmin, "/hq")
        XCTAssertTrue(Superiors.chain(above: top, candidates: [account("hq2", .hqAdmin, "/hq")]).isEmpty)
    }
}
