import ArgumentParser
import Foundation
import Messages
import RPC
import ServiceAPI
import ServiceKit

/// `xsc seed-drill`: the drill's organisation (DOMAIN.md, "The drill") created through the
/// gateway's own RPCs as the hq_admin: one region, office, district and team, its team admin,
/// order leads, a dealer, a salesperson, an intermediary, a partner API key and an SMS-provider
/// key; then, through the gateway to orders, the drill's SKU, prices and district routing
/// (SeedDrillOrders). Idempotent: what exists is left alone (ALREADY_EXISTS is success here);
/// a key is made only when its partner has none active, since a key can be shown only when it
/// is made.
struct SeedDrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-drill",
        abstract: "Seed the drill's organisation, accounts, keys, SKU and routing (operators).",
        discussion: """
        Seeds the drill's organisation (DOMAIN.md) through the gateway as the hq_admin (password \
        from XSC_ADMIN_PASSWORD or --admin-password-file): /hq/cq/cq-o1/cq-o1-d3/t7, a regional \
        manager, customer service, office and district order leads, a dealer, a team admin, a \
        salesperson, an intermediary (13900000001-8), a partner key for drill-mall and an \
        SMS-provider key for drill-sms (each printed once, when made); then, through the gateway \
        to orders, the drill SKU with its prices and the routing of district cq-o1-d3 \
        (--skip-orders: organisation and keys only). Idempotent. With --partner-cert-sha256 a new \
        drill-mall key is bound to that client certificate: it then works only over the gateway's \
        TLS port on a connection presenting the certificate.
        """)

    struct Member {
        let phone: String
        let name: String
        let role: Xsc_Gateway_V1_AccountRole
        let nodePath: String
    }

    static let region = "/hq/cq"
    static let office = "/hq/cq/cq-o1"
    static let district = "/hq/cq/cq-o1/cq-o1-d3"
    static let team = "/hq/cq/cq-o1/cq-o1-d3/t7"
    static let partnerID = "drill-mall"
    static let smsProviderID = "drill-sms"

    static let nodes: [(parent: String, slug: String, name: String, kind: Xsc_Gateway_V1_NodeKind)] = [
        ("/hq", "cq", "重庆片区", .region),
        (region, "cq-o1", "渝中办事处", .office),
        (office, "cq-o1-d3", "渝中区", .district),
        (district, "t7", "第七团购小组", .team),
    ]

    static let members: [Member] = [
        Member(phone: "13900000001", name: "片区经理 王", role: .regionalManager, nodePath: region),
        Member(phone: "13900000002", name: "片区客服 李", role: .customerService, nodePath: region),
        Member(phone: "13900000003", name: "办事处订单负责人 张", role: .officeOrderLead, nodePath: office),
        Member(phone: "13900000004", name: "区县订单负责人 刘", role: .districtOrderLead, nodePath: district),
        Member(phone: "13900000005", name: "经销商 陈", role: .dealer, nodePath: district),
        Member(phone: "13900000006", name: "团队管理员 杨", role: .teamAdmin, nodePath: team),
        Member(phone: "13900000007", name: "业务员 赵", role: .salesperson, nodePath: team),
        Member(phone: "13900000008", name: "中间人 黄", role: .intermediary, nodePath: team),
    ]

    @Option(help: "The gateway, HOST:PORT (default 127.0.0.1:7100).") var gateway = "127.0.0.1:7100"
    @Option(name: .customLong("admin-phone"), help: "The hq_admin's phone (default: XSC_ADMIN_PHONE, else 13800000000).")
    var adminPhone: String?
    @Option(name: .customLong("admin-password-file"), help: "A file with the hq_admin's password (default: XSC_ADMIN_PASSWORD).")
    var adminPasswordFile: String?
    @Option(name: .customLong("member-password"), help: "The members' initial password (default: XSC_DRILL_PASSWORD, else drill-password-2026).")
    var memberPassword: String?
    @Flag(name: .customLong("skip-orders"), help: "Organisation and keys only (no SKU, prices, routing).") var skipOrders = false
    @Option(name: .customLong("partner-cert-sha256"),
            help: "Bind a new drill-mall key to this client certificate: its SHA-256 fingerprint, as `openssl x509 -noout -fingerprint -sha256` prints it, or hex.")
    var partnerCertSHA256: String?

    func run() async throws {
        let environment = ProcessEnvironment.current()
        guard let target = HostPort(parsing: gateway) else { throw CLIError.usage("--gateway \(gateway) is not HOST:PORT") }
        let adminPhone = self.adminPhone ?? environment["XSC_ADMIN_PHONE"] ?? "13800000000"
        let adminPassword: String
        if let file = adminPasswordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CLIError.failed("cannot read \(file)") }
            adminPassword = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let fromEnvironment = environment["XSC_ADMIN_PASSWORD"], !fromEnvironment.isEmpty {
            adminPassword = fromEnvironment
        } else {
            throw CLIError.usage("the hq_admin password is needed: XSC_ADMIN_PASSWORD or --admin-password-file FILE")
        }
        let memberPassword = self.memberPassword ?? environment["XSC_DRILL_PASSWORD"] ?? "drill-password-2026"

        let channel = RPCChannel(host: target.host, port: target.port)
        defer { channel.close() }
        do {
            try await Self.seed(channel: channel, adminPhone: adminPhone, adminPassword: adminPassword,
                                memberPassword: memberPassword, orders: !skipOrders, partnerCertSHA256: partnerCertSHA256)
        } catch let error as RPCError {
            throw CLIError.failed("seeding failed: \(error.code): \(error.message)")
        } catch let error as CLIError {
            throw CLIError.failed("seeding failed: \(error)")
        } catch {
            throw CLIError.failed("seeding failed: \(error)")
        }
    }

    static func seed(channel: RPCChannel, adminPhone: String, adminPassword: String, memberPassword: String,
                     orders: Bool, partnerCertSHA256: String? = nil) async throws {
        var login = Xsc_Gateway_V1_LoginRequest()
        login.phone = adminPhone
        login.password = adminPassword
        let session = try await Xsc_Gateway_V1_AuthServiceClient(channel: channel).login(login)
        var metadata = Metadata()
        metadata.add("authorization", "Bearer " + session.sessionToken)
        let call = CallOptions(metadata: metadata, timeout: .seconds(30))

        let org = Xsc_Gateway_V1_OrgServiceClient(channel: channel)
        for node in nodes {
            var request = Xsc_Gateway_V1_CreateNodeRequest()
            request.parentPath = node.parent
            request.slug = node.slug
            request.name = node.name
            request.kind = node.kind
            try await tolerateExisting { _ = try await org.createNode(request, options: call) }
            print("node    \(node.parent)/\(node.slug)")
        }
        let accounts = Xsc_Gateway_V1_AccountServiceClient(channel: channel)
        for member in members {
            var request = Xsc_Gateway_V1_CreateAccountRequest()
            request.phone = member.phone
            request.name = member.name
            request.role = member.role
            request.nodePath = member.nodePath
            request.initialPassword = memberPassword
            let created = try await tolerateExisting { _ = try await accounts.createAccount(request, options: call) }
            print("account \(member.phone) \(member.role) \(member.nodePath)\(created ? "" : " (already there, password unchanged)")")
        }
        print("members' initial password: \(memberPassword)")

        try await ensureKey(partnerID: partnerID, channel: "mall", label: "partner key", channel: channel, call: call,
                            clientCertSHA256: partnerCertSHA256)
        try await ensureKey(partnerID: smsProviderID, channel: "sms_provider", label: "sms provider key", channel: channel, call: call)
        if orders { try await SeedDrillOrders.seed(channel: channel, call: call) }
    }

    /// Makes a key for the partner unless it has an active one; prints a new key's secret once.
    /// `clientCertSHA256` binds a new key to that client certificate (the gateway checks its form).
    static func ensureKey(partnerID: String, channel keyChannel: String, label: String, channel: RPCChannel,
                          call: CallOptions, clientCertSHA256: String? = nil) async throws {
        let keys = Xsc_Gateway_V1_PartnerKeyServiceClient(channel: channel)
        var list = Xsc_Gateway_V1_ListKeysRequest()
        list.partnerId = partnerID
        let active = try await keys.listKeys(list, options: call).keys.filter { $0.revokedAtMs == 0 }
        if active.isEmpty {
            var request = Xsc_Gateway_V1_CreateKeyRequest()
            request.partnerId = partnerID
            request.channel = keyChannel
            request.clientCertSha256 = clientCertSHA256 ?? ""
            let key = try await keys.createKey(request, options: call)
            print("\(label) for \(partnerID) (channel \(keyChannel)), shown once: \(key.secret)")
            if let bound = key.key?.clientCertSha256, !bound.isEmpty {
                print("\(label) for \(partnerID) is bound to the client certificate with SHA-256 \(bound)")
            }
        } else {
            let shown = active.map { $0.displayPrefix + ($0.clientCertSha256.isEmpty ? "" : " (bound to certificate \($0.clientCertSha256))") }
            print("\(label): \(partnerID) already has \(active.count) active key(s): \(shown.joined(separator: ", "))")
        }
    }

    /// Runs `body`; ALREADY_EXISTS counts as done. Returns whether it created something.
    @discardableResult
    static func tolerateExisting(_ body: () async throws -> Void) async throws -> Bool {
        do {
            try await body()
            return true
        } catch let error as RPCError where error.code == .alreadyExists {
            return false
        }
    }
}
