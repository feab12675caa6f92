import DomainKit
import Messages
import RPC
import ServiceAPI

/// xsc.gateway.v1.AccountService. hq_admin reaches every account; team_admin only the accounts
/// on its own team node, and anything else answers NOT_FOUND (never revealing it exists).
public struct AccountHandler: Xsc_Gateway_V1_AccountServiceHandler {
    let core: GatewayCore

    /// Roles a team admin may give and take away: its team's members (DOMAIN.md: salespeople
    /// and intermediaries), never a lead, customer service, a dealer or an admin - those are
    /// the organisation's (HQ's) to place.
    static let teamAdminAssignable: Set<StaffRole> = [.salesperson, .intermediary]

    public init(core: GatewayCore) {
        self.core = core
    }

    /// The subtree the caller manages: everything for hq_admin, its own node for team_admin.
    static func scope(of session: StaffSession) -> String? {
        switch session.role {
        case .hqAdmin: OrgPath.root
        case .teamAdmin: session.nodePath
        default: nil
        }
    }

    static func reaches(_ session: StaffSession, _ nodePath: String) -> Bool {
        switch session.role {
        case .hqAdmin: true
        case .teamAdmin: nodePath == session.nodePath
        default: false
        }
    }

    public func createAccount(_ request: Xsc_Gateway_V1_CreateAccountRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Account {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        var violations = FieldViolations()
        let name = request.name.trimmingWhitespace
        if name.isEmpty || name.count > 100 { violations.add("name", "required, at most 100 characters") }
        let phone = MainlandPhone.normaliseMobile(request.phone)
        if phone == nil { violations.add("phone", "must be a mainland mobile number (11 digits starting 13-19)") }
        let role = StaffRole(request.role)
        if role == nil { violations.add("role", "required") }
        if !OrgPath.isValidPath(request.nodePath) { violations.add("node_path", "must be a node path like /hq/cq/cq-o1") }
        GatewayCore.checkPassword(request.initialPassword, field: "initial_password", into: &violations)
        try violations.check()
        guard let phone, let role else { throw GatewayErrors.notFound("node") }

        guard Self.reaches(session, request.nodePath), try await core.org.node(path: request.nodePath) != nil else {
            throw GatewayErrors.notFound("node")
        }
        if session.role == .teamAdmin && !Self.teamAdminAssignable.contains(role) {
            throw RPCError(code: .permissionDenied, message: "a team admin cannot create \(role.rawValue) accounts")
        }
        let hash = try await core.hash(request.initialPassword)
        let store = core.accounts
        let account = try await core.idempotentCreate(context, scope: "CreateAccount", request: request) { transaction in
            guard let account = try await store.insert(name: name, phone: phone, role: role, nodePath: request.nodePath,
                                                       passwordHash: hash, in: transaction) else {
                throw RPCError(code: .alreadyExists, message: "an account with this phone already exists")
            }
            return account
        }
        core.logger.info("account created", ["account": .string(account.id), "role": .string(role.rawValue),
                                             "by": .string(session.accountID)])
        return account
    }

    public func listAccounts(_ request: Xsc_Gateway_V1_ListAccountsRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ListAccountsResponse {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        guard let scope = Self.scope(of: session) else { throw GatewayErrors.notFound("node") }
        let under = request.underPath.isEmpty ? scope : request.underPath
        var violations = FieldViolations()
        if !OrgPath.isValidPath(under) { violations.add("under_path", "must be a node path like /hq/cq") }
        // The cursor is the last account id of the previous page.
        violations.add("page.cursor", ifProblem: LookupField.problem(request.page?.cursor ?? "", .id, required: false))
        try violations.check()
        guard OrgPath.isWithin(under, subtree: scope) else { throw GatewayErrors.notFound("node") }

        let size = GatewayCore.pageSize(request.page?.pageSize ?? 0)
        let accounts = try await core.accounts.list(under: under, after: request.page?.cursor ?? "", limit: size + 1)
        var response = Xsc_Gateway_V1_ListAccountsResponse()
        response.accounts = Array(accounts.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if accounts.count > size, let last = response.accounts.last { info.nextCursor = last.id }
        response.pageInfo = info
        return response
    }

    public func disableAccount(_ request: Xsc_Gateway_V1_DisableAccountRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Account {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        try LookupField.requireID(request.accountId, "account_id")
        guard let account = try await core.accounts.account(id: request.accountId), Self.reaches(session, account.nodePath) else {
            throw GatewayErrors.notFound("account")
        }
        guard account.id != session.accountID else {
            throw RPCError(code: .failedPrecondition, message: "an admin cannot disable its own account")
        }
        if session.role == .teamAdmin, let role = StaffRole(account.role), !Self.teamAdminAssignable.contains(role) {
            throw RPCError(code: .permissionDenied, message: "a team admin cannot disable \(role.rawValue) accounts")
        }
        guard let disabled = try await core.accounts.disable(id: account.id) else { throw GatewayErrors.notFound("account") }
        core.door.cache.forget(accountID: account.id)
        core.logger.info("account disabled", ["account": .string(account.id), "by": .string(session.accountID)])
        return disabled
    }

    public func changePassword(_ request: Xsc_Gateway_V1_ChangePasswordRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ChangePasswordResponse {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        var violations = FieldViolations()
        GatewayCore.checkPassword(request.newPassword, field: "new_password", into: &violations)
        try violations.check()
        guard let stored = try await core.accounts.passwordHash(id: session.accountID),
              try await core.verify(request.currentPassword, against: stored) else {
            throw GatewayErrors.badCredentials
        }
        try await core.accounts.setPasswordHash(id: session.accountID, hash: try await core.hash(request.newPassword))
        // Whoever else held a session (perhaps the reason for the change) is signed out.
        try await core.sessions.revokeOthers(accountID: session.accountID, keeping: session.tokenSHA256)
        core.door.cache.forget(accountID: session.accountID)
        return Xsc_Gateway_V1_ChangePasswordResponse()
    }
}
