import XCTest
@testable import Gateway

final class AccessPolicyTests: XCTestCase {
    private let policy = AccessPolicy.standard

    private func staff(_ role: StaffRole) -> Caller {
        .staff(StaffSession(accountID: "a", role: role, nodePath: "/hq/r/o/d/t", tokenSHA256: [], expiresAtMs: 0))
    }

    private let partner = Caller.partner(PartnerCredential(keyID: "k", partnerID: "tmall", channel: "mall"))

    func testLoginIsTheOnlyAnonymousMethod() {
        XCTAssertTrue(policy.isAnonymous("/xsc.gateway.v1.AuthService/Login"))
        XCTAssertFalse(policy.isAnonymous("/xsc.gateway.v1.AuthService/WhoAmI"))
        XCTAssertFalse(policy.isAnonymous("/xsc.orders.v1.OrderService/Get"))
    }

    func testPartnerKeysReachWhoAmIAndOrdersPartnerMethodsOnly() {
        XCTAssertEqual(policy.decide(partner, path: "/xsc.gateway.v1.AuthService/WhoAmI"), .allowed)
        for method in ["SubmitOrder", "SubmitOrders", "GetOrder", "ListOrders", "ListPartnerEvents", "WatchPartnerEvents"] {
            XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/\(method)"), .allowed, method)
        }
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/Acknowledge"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/SetDistrictRouting"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.gateway.v1.AccountService/ListAccounts"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/Get"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.gateway.v1.AuthService/Logout"), .denied)
    }

    func testAdminMethodsByRole() {
        XCTAssertEqual(policy.decide(staff(.hqAdmin), path: "/xsc.gateway.v1.OrgService/CreateNode"), .allowed)
        XCTAssertEqual(policy.decide(staff(.teamAdmin), path: "/xsc.gateway.v1.OrgService/CreateNode"), .denied)
        XCTAssertEqual(policy.decide(staff(.teamAdmin), path: "/xsc.gateway.v1.AccountService/CreateAccount"), .allowed)
        XCTAssertEqual(policy.decide(staff(.salesperson), path: "/xsc.gateway.v1.AccountService/CreateAccount"), .denied)
        XCTAssertEqual(policy.decide(staff(.salesperson), path: "/xsc.gateway.v1.AccountService/ChangePassword"), .allowed)
        XCTAssertEqual(policy.decide(staff(.dealer), path: "/xsc.gateway.v1.PartnerKeyService/CreateKey"), .denied)
        XCTAssertEqual(policy.decide(staff(.dealer), path: "/xsc.orders.v1.OrderService/Get"), .allowed)
    }

    func testUnknownPathsAreDenied() {
        XCTAssertEqual(policy.decide(staff(.hqAdmin), path: "/other.Service/Method"), .denied)
    }
}
