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
    /// The reserved channel of SMS-provider keys: such a key reaches only the provider
    /// callbacks of notifications (receipts and inbound SMS), never the order channels.
    public static let smsProviderChannel = "sms_provider"

    public var keyID: String
    public var partnerID: String
    public var channel: String
    /// The client certificate (SHA-256 of its DER form, lower-case hex) the key is bound to: the
    /// key is accepted only on a TLS connection that presented it. nil: any connection.
    public var clientCertSHA256: String?

    public init(keyID: String, partnerID: String, channel: String, clientCertSHA256: String? = nil) {
        self.keyID = keyID
        self.partnerID = partnerID
        self.channel = channel
        self.clientCertSHA256 = clientCertSHA256
    }

    /// Whether a call over a connection that presented the certificate with this fingerprint
    /// (verified against the client CA; nil: none, or no TLS) may use the key.
    func accepts(clientCertSHA256 presented: String?) -> Bool {
        guard let bound = clientCertSHA256 else { return true }
        return presented == bound
    }

    public var isSMSProvider: Bool { channel == Self.smsProviderChannel }
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
