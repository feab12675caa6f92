import RPC

/// Who is calling, after the gateway checked the `authorization` metadata.
public enum Caller: Sendable, Equatable {
    case staff(StaffSession)
    case partner(PartnerCredential)

    /// The bucket the rate limiter charges.
    var rateLimitKey: String {
        switch self {
        case .staff(let session): "account:" + session.accountID
        case .partner(let key): "key:" + key.keyID
        }
    }
}

public struct StaffSession: Sendable, Equatable {
    public var accountID: String
    public var role: StaffRole
    public var nodePath: String
    public var tokenSHA256: [UInt8]
    public var expiresAtMs: Int64
}

public struct PartnerCredential: Sendable, Equatable {
    public var keyID: String
    public var partnerID: String
    public var channel: String
}

/// The `ServerContext` slot the front door fills for the gateway's own handlers.
public enum CallerKey: ServerContextKey {
    public typealias Value = Caller
}

extension ServerContext {
    func requireCaller() throws(RPCError) -> Caller {
        guard let caller = self[CallerKey.self] else { throw GatewayErrors.noCredentials }
        return caller
    }

    func requireStaff() throws(RPCError) -> StaffSession {
        guard case .staff(let session) = try requireCaller() else { throw GatewayErrors.notFound("method") }
        return session
    }
}
