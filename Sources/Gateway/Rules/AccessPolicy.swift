/// Which callers may call which methods, by full method path prefix. The first matching rule
/// decides; a path no rule matches is refused. Handlers then narrow further by node (a
/// team_admin reaches only its own team's accounts).
///
/// | prefix                                   | staff roles                 | partner keys | SMS-provider keys |
/// |------------------------------------------|-----------------------------|--------------|-------------------|
/// | /xsc.gateway.v1.AuthService/Login        | anyone (no credentials)     | -            | -                 |
/// | /xsc.gateway.v1.AuthService/WhoAmI       | every role                  | yes          | yes               |
/// | /xsc.gateway.v1.AuthService/             | every role                  | no           | no                |
/// | /xsc.gateway.v1.AccountService/ChangePassword | every role             | no           | no                |
/// | /xsc.gateway.v1.AccountService/ListAssignees | hq_admin, regional_manager, customer_service, office and district order leads | no | no |
/// | /xsc.gateway.v1.AccountService/          | hq_admin, team_admin        | no           | no                |
/// | /xsc.gateway.v1.OrgService/              | hq_admin                    | no           | no                |
/// | /xsc.gateway.v1.PartnerKeyService/       | hq_admin                    | no           | no                |
/// | orders: SubmitOrder(s), GetOrder, ListOrders, ListOrderEvents, Cancel, Refund, ListPartnerEvents, WatchPartnerEvents | every role | yes | no |
/// | campaigns: JoinCampaign, GetCampaignByShareCode | every role                | yes          | no                |
/// | notifications: ReceiveInbound, ReportDelivery, ReceiveVendorCallback | every role (the service wants SYSTEM) | no | yes |
/// | /xsc.<service>.v1. (any backend)         | every role                  | no           | no                |
/// | /grpc.testing. and /bench.v1. (dev only) | every role                  | no           | no                |
///
/// Partner keys reach WhoAmI, orders' partner methods (intake, reading, cancelling and
/// refunding their own orders, and the order feed; orders decides which of its orders) and
/// campaigns' two participant methods (the public view by share code, joining); the
/// signed actor names the partner (account_id = partner id, role PARTNER, partner_channel).
/// SMS-provider keys are partner keys with the reserved channel `sms_provider`: they reach
/// WhoAmI and the two provider callbacks of notifications, signed as role PARTNER with
/// partner_channel `sms_provider`, which notifications accepts on exactly those two methods.
/// Backends still apply their own rules (information security is theirs: a partner sees only
/// the orders it submitted).
public struct AccessPolicy: Sendable {
    public enum Staff: Sendable, Equatable {
        case none
        case all
        case only(Set<StaffRole>)
    }

    public struct Rule: Sendable {
        public var prefix: String
        public var staff: Staff
        public var partner: Bool
        /// Open to SMS-provider keys (partner keys of the reserved provider channel).
        public var smsProvider: Bool
        /// Callable without credentials.
        public var anonymous: Bool

        public init(prefix: String, staff: Staff, partner: Bool = false, smsProvider: Bool = false, anonymous: Bool = false) {
            self.prefix = prefix
            self.staff = staff
            self.partner = partner
            self.smsProvider = smsProvider
            self.anonymous = anonymous
        }
    }

    public enum Decision: Equatable, Sendable {
        case allowed
        /// The method exists for nobody like the caller; answered as NOT_FOUND / PERMISSION_DENIED by the door.
        case denied
    }

    public let rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    public static let standard = AccessPolicy(rules: [
        Rule(prefix: "/xsc.gateway.v1.AuthService/Login", staff: .all, anonymous: true),
        Rule(prefix: "/xsc.gateway.v1.AuthService/WhoAmI", staff: .all, partner: true, smsProvider: true),
        Rule(prefix: "/xsc.gateway.v1.AuthService/", staff: .all),
        Rule(prefix: "/xsc.gateway.v1.AccountService/ChangePassword", staff: .all),
        Rule(prefix: "/xsc.gateway.v1.AccountService/ListAssignees",
             staff: .only([.hqAdmin, .regionalManager, .customerService, .officeOrderLead, .districtOrderLead])),
        Rule(prefix: "/xsc.gateway.v1.AccountService/", staff: .only([.hqAdmin, .teamAdmin])),
        Rule(prefix: "/xsc.gateway.v1.OrgService/", staff: .only([.hqAdmin])),
        Rule(prefix: "/xsc.gateway.v1.PartnerKeyService/", staff: .only([.hqAdmin])),
        Rule(prefix: "/xsc.orders.v1.OrderService/SubmitOrder", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/GetOrder", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/ListOrders", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/ListOrderEvents", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/Cancel", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/Refund", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/ListPartnerEvents", staff: .all, partner: true),
        Rule(prefix: "/xsc.orders.v1.OrderService/WatchPartnerEvents", staff: .all, partner: true),
        // A partner's mini-program signs participants up for a group-buy campaign it has the share code of.
        Rule(prefix: "/xsc.campaigns.v1.CampaignService/JoinCampaign", staff: .all, partner: true),
        Rule(prefix: "/xsc.campaigns.v1.CampaignService/GetCampaignByShareCode", staff: .all, partner: true),
        Rule(prefix: "/xsc.notifications.v1.NotificationService/ReceiveInbound", staff: .all, smsProvider: true),
        Rule(prefix: "/xsc.notifications.v1.NotificationService/ReportDelivery", staff: .all, smsProvider: true),
        Rule(prefix: "/xsc.notifications.v1.NotificationService/ReceiveVendorCallback", staff: .all, smsProvider: true),
        Rule(prefix: "/xsc.", staff: .all),
        // Development and benchmark routes, present only when XSC_INTEROP_ADDR / XSC_BENCH_ADDR are set.
        Rule(prefix: "/grpc.testing.", staff: .all),
        Rule(prefix: "/bench.v1.", staff: .all),
    ])

    public func rule(for path: String) -> Rule? {
        rules.first { path.hasPrefix($0.prefix) }
    }

    public func isAnonymous(_ path: String) -> Bool {
        rule(for: path)?.anonymous ?? false
    }

    public func decide(_ caller: Caller, path: String) -> Decision {
        guard let rule = rule(for: path) else { return .denied }
        switch caller {
        case .partner(let key):
            return (key.isSMSProvider ? rule.smsProvider : rule.partner) ? .allowed : .denied
        case .staff(let session):
            switch rule.staff {
            case .none: return .denied
            case .all: return .allowed
            case .only(let roles): return roles.contains(session.role) ? .allowed : .denied
            }
        }
    }
}
