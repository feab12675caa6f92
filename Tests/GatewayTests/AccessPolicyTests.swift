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
        for method in ["SubmitOrder", "SubmitOrders", "GetOrder", "ListOrders", "ListOrderEvents", "Cancel", "Refund",
                       "ListPartnerEvents", "WatchPartnerEvents"] {
            XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/\(method)"), .allowed, method)
        }
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/Acknowledge"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/RecordReturnVisit"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/AcknowledgeBySms"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/SetDistrictRouting"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.gateway.v1.AccountService/ListAccounts"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.orders.v1.OrderService/Get"), .denied)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.gateway.v1.AuthService/Logout"), .denied)
    }

    func testPartnerKeysReachOnlyTheParticipantMethodsOfCampaigns() {
        XCTAssertEqual(policy.decide(partner, path: "/xsc.campaigns.v1.CampaignService/JoinCampaign"), .allowed)
        XCTAssertEqual(policy.decide(partner, path: "/xsc.campaigns.v1.CampaignService/GetCampaignByShareCode"), .allowed)
        for method in ["CreateCampaign", "GetCampaign", "ListParticipations", "PickingList", "VerifyPickup", "SetDirectoryEntry"] {
            XCTAssertEqual(policy.decide(partner, path: "/xsc.campaigns.v1.CampaignService/\(method)"), .denied, method)
        }
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

/// SMS-provider keys: partner keys of the reserved channel, confined to the two callbacks.
final class ProviderKeyPolicyTests: XCTestCase {
    private let policy = AccessPolicy.standard
    private let provider = Caller.partner(PartnerCredential(keyID: "k", partnerID: "drill-sms", channel: "sms_provider"))
    private let partner = Caller.partner(PartnerCredential(keyID: "k2", partnerID: "tmall", channel: "mall"))

    func testProviderKeysReachOnlyTheCallbacksAndWhoAmI() {
        for method in ["ReceiveInbound", "ReportDelivery"] {
            XCTAssertEqual(policy.decide(provider, path: "/xsc.notifications.v1.NotificationService/\(method)"), .allowed, method)
            XCTAssertEqual(policy.decide(partner, path: "/xsc.notifications.v1.NotificationService/\(method)"), .denied, method)
        }
        XCTAssertEqual(policy.decide(provider, path: "/xsc.gateway.v1.AuthService/WhoAmI"), .allowed)
        for path in ["/xsc.notifications.v1.NotificationService/Send", "/xsc.notifications.v1.NotificationService/SetContact",
                     "/xsc.notifications.v1.NotificationService/ListInbox", "/xsc.notifications.v1.NotificationService/UsageReport",
                     "/xsc.orders.v1.OrderService/SubmitOrder", "/xsc.orders.v1.OrderService/ListPartnerEvents",
                     "/xsc.orders.v1.OrderService/AcknowledgeBySms", "/xsc.gateway.v1.PartnerKeyService/CreateKey",
                     "/xsc.gateway.v1.AuthService/Logout", "/xsc.customers.v1.CustomerService/List"] {
            XCTAssertEqual(policy.decide(provider, path: path), .denied, path)
        }
        // Staff keep reaching the callbacks through the gateway (notifications then wants an admin).
        let admin = Caller.staff(StaffSession(accountID: "a", role: .hqAdmin, nodePath: "/hq", tokenSHA256: [], expiresAtMs: 0))
        XCTAssertEqual(policy.decide(admin, path: "/xsc.notifications.v1.NotificationService/ReceiveInbound"), .allowed)
    }
}
