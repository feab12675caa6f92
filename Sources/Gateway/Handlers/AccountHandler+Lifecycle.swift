import DomainKit
import Messages
import RPC

/// Bringing a disabled account back and moving an account to another phone. Both reach the
/// notifications service's phone directory through the contact feed (same transaction).
extension AccountHandler {
    public func enableAccount(_ request: Xsc_Gateway_V1_EnableAccountRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Account {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        try LookupField.requireID(request.accountId, "account_id")
        let account = try await managedAccount(request.accountId, by: session, action: "enable")
        guard let enabled = try await core.accounts.enable(id: account.id) else { throw GatewayErrors.notFound("account") }
        core.logger.info("account enabled", ["account": .string(account.id), "by": .string(session.accountID)])
        return enabled
    }

    public func changeAccountPhone(_ request: Xsc_Gateway_V1_ChangeAccountPhoneRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Account {
        try await core.door.admit(context)
        let session = try context.requireStaff()
        var violations = FieldViolations()
        violations.add("account_id", ifProblem: LookupField.problem(request.accountId, .id))
        let phone = MainlandPhone.normaliseMobile(request.phone)
        if phone == nil { violations.add("phone", "must be a mainland mobile number (11 digits starting 13-19)") }
        try violations.check()
        guard let phone else { throw GatewayErrors.notFound("account") }
        let account = try await managedAccount(request.accountId, by: session, action: "change the phone of")
        switch try await core.accounts.changePhone(id: account.id, to: phone) {
        case .changed(let changed):
            core.logger.info("account phone changed", ["account": .string(account.id), "phone": .string(phone),
                                                       "by": .string(session.accountID)])
            return changed
        case .taken:
            throw RPCError(code: .alreadyExists, message: "an account with this phone already exists")
        case .missing:
            throw GatewayErrors.notFound("account")
        }
    }

    /// The account when the caller manages it: NOT_FOUND outside the caller's reach, and a team
    /// admin acts only on the roles it may create (an admin or manager it could not have made).
    func managedAccount(_ id: String, by session: StaffSession, action: String) async throws -> Xsc_Gateway_V1_Account {
        guard let account = try await core.accounts.account(id: id), Self.reaches(session, account.nodePath) else {
            throw GatewayErrors.notFound("account")
        }
        if session.role == .teamAdmin, let role = StaffRole(account.role), !Self.teamAdminAssignable.contains(role) {
            throw RPCError(code: .permissionDenied, message: "a team admin cannot \(action) \(role.rawValue) accounts")
        }
        return account
    }
}
