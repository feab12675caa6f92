import DomainKit
import Messages
import RPC
import ServiceAPI

/// xsc.gateway.v1.AuthService: staff login with phone + password, logout, and who the caller is.
/// Every credential failure answers the same UNAUTHENTICATED "invalid credentials", whether the
/// phone is unknown, the password wrong, the account disabled or the phone locked out, and an
/// unknown phone costs the same scrypt work as a known one.
public struct AuthHandler: Xsc_Gateway_V1_AuthServiceHandler {
    let core: GatewayCore
    private let decoyHash: String

    public init(core: GatewayCore) {
        self.core = core
        decoyHash = core.hasher.decoyHash()
    }

    public func login(_ request: Xsc_Gateway_V1_LoginRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_LoginResponse {
        try await login(request, peer: context.peer)
    }

    /// Login for a caller at `peer`: the gRPC method and the staff pages' JSON route
    /// (StaffHTTPHandler) alike, so both share one per-address limit and one answer.
    func login(_ request: Xsc_Gateway_V1_LoginRequest, peer: String) async throws -> Xsc_Gateway_V1_LoginResponse {
        try core.admitLogin(from: peer)
        var violations = FieldViolations()
        let phone = MainlandPhone.normaliseMobile(request.phone)
        if phone == nil { violations.add("phone", "must be a mainland mobile number (11 digits starting 13-19)") }
        if request.password.isEmpty { violations.add("password", "required") }
        if request.password.utf8.count > GatewayCore.maximumPasswordLength { violations.add("password", "too long") }
        try violations.check()
        guard let phone else { throw GatewayErrors.badCredentials }

        // Locked out: refused without looking at the password, so guessing gains nothing.
        if try await core.sessions.isLocked(phone: phone) {
            throw GatewayErrors.badCredentials
        }
        let credentials = try await core.accounts.credentials(phone: phone)
        let matches = try await core.verify(request.password, against: credentials?.hash ?? decoyHash)
        guard let credentials, matches, credentials.enabled else {
            try await core.sessions.recordFailure(phone: phone)
            core.logger.info("login refused", ["phone": .string(phone)])
            throw GatewayErrors.badCredentials
        }
        try await core.sessions.clearFailures(phone: phone)
        let token = SecretToken.generate(prefix: SecretToken.sessionPrefix)
        var response = Xsc_Gateway_V1_LoginResponse()
        response.expiresAtMs = try await core.sessions.create(tokenSHA256: SecretToken.sha256(token),
                                                              accountID: credentials.id, ttl: core.sessionTTL)
        response.sessionToken = token
        response.account = try await core.accounts.account(id: credentials.id)
        return response
    }

    public func logout(_ request: Xsc_Gateway_V1_LogoutRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_LogoutResponse {
        try await core.door.admit(context)
        return try await logout(caller: context.requireCaller())
    }

    func logout(caller: Caller) async throws -> Xsc_Gateway_V1_LogoutResponse {
        guard case .staff(let session) = caller else { throw GatewayErrors.notFound("method") }
        try await core.sessions.revoke(tokenSHA256: session.tokenSHA256)
        core.door.cache.forget(tokenHash: session.tokenSHA256)
        return Xsc_Gateway_V1_LogoutResponse()
    }

    public func whoAmI(_ request: Xsc_Gateway_V1_WhoAmIRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_WhoAmIResponse {
        try await core.door.admit(context)
        return try await whoAmI(caller: context.requireCaller())
    }

    func whoAmI(caller: Caller) async throws -> Xsc_Gateway_V1_WhoAmIResponse {
        var response = Xsc_Gateway_V1_WhoAmIResponse()
        switch caller {
        case .staff(let session):
            response.account = try await core.accounts.account(id: session.accountID)
            response.sessionExpiresAtMs = session.expiresAtMs
        case .partner(let credential):
            response.partnerKey = try await core.keys.key(id: credential.keyID)
        }
        return response
    }
}
