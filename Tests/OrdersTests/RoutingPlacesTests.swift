import DomainKit
@testable import Orders
import XCTest

/// Where routed people must be (pure rule; the wire test checks it through the gateway).
final class RoutingPlacesTests: XCTestCase {
    let groups = RoutingPlaces.groups(region: "cq", office: "cq-o1", district: "cq-o1-d3", officeLeads: ["a"], districtLeads: ["b"],
                                      dealers: ["c"], escalation: ["d"])

    func person(_ role: DomainRole, _ node: String, enabled: Bool = true) -> DirectoryAccount {
        DirectoryAccount(id: "x", name: "张", role: role, nodePath: node, enabled: enabled)
    }

    func testEachGroupWantsItsRoleOnItsNode() {
        let (office, district, dealers, escalation) = (groups[0], groups[1], groups[2], groups[3])
        XCTAssertNil(RoutingPlaces.problem(person(.officeOrderLead, "/hq/cq/cq-o1"), in: office))
        XCTAssertNotNil(RoutingPlaces.problem(person(.officeOrderLead, "/hq/cq/cq-o2"), in: office), "another office")
        XCTAssertNotNil(RoutingPlaces.problem(person(.dealer, "/hq/cq/cq-o1"), in: office), "wrong role")
        XCTAssertNotNil(RoutingPlaces.problem(person(.officeOrderLead, "/hq/cq/cq-o1", enabled: false), in: office), "disabled")
        XCTAssertNotNil(RoutingPlaces.problem(nil, in: office), "unknown")
        XCTAssertNil(RoutingPlaces.problem(person(.districtOrderLead, "/hq/cq/cq-o1/cq-o1-d3"), in: district))
        XCTAssertNil(RoutingPlaces.problem(person(.dealer, "/hq/cq/cq-o1/cq-o1-d4"), in: dealers), "a dealer serves the office")
        XCTAssertNotNil(RoutingPlaces.problem(person(.dealer, "/hq/sc/sc-o1"), in: dealers))
        XCTAssertNil(RoutingPlaces.problem(person(.regionalManager, "/hq/cq"), in: escalation))
        XCTAssertNotNil(RoutingPlaces.problem(person(.hqAdmin, "/hq"), in: escalation))
    }

    func testTheCreditedTeamIsATeamOfTheDistrict() {
        XCTAssertNil(RoutingPlaces.teamProblem("/hq/cq/cq-o1/cq-o1-d3/t7", region: "cq", office: "cq-o1", district: "cq-o1-d3"))
        XCTAssertNotNil(RoutingPlaces.teamProblem("/hq/cq/cq-o1/cq-o1-d4/t7", region: "cq", office: "cq-o1", district: "cq-o1-d3"))
        XCTAssertNotNil(RoutingPlaces.teamProblem("/hq/cq/cq-o1/cq-o1-d3", region: "cq", office: "cq-o1", district: "cq-o1-d3"))
    }
}
