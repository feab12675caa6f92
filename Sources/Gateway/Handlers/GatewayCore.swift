import Postgres
import ServiceKit

/// What the gateway's own handlers share: the stores, the password hasher and the front door.
public struct GatewayCore: Sendable {
    public let org: OrgStore
    public let accounts: AccountStore
    public let sessions: SessionStore
    public let keys: PartnerKeyStore
    public let hasher: PasswordHasher
    public let door: FrontDoor
    public let sessionTTL: Duration
    public let logger: Logger

    public init(pool: PostgresPool, hasher: PasswordHasher, buckets: TokenBuckets, signer: ActorSigner,
                sessionTTL: Duration, actorLifetime: Duration, credentialCacheLifetime: Duration = .zero, logger: Logger) {
        org = OrgStore(pool: pool)
        accounts = AccountStore(pool: pool)
        sessions = SessionStore(pool: pool)
        keys = PartnerKeyStore(pool: pool)
        self.hasher = hasher
        door = FrontDoor(sessions: sessions, keys: keys, buckets: buckets, signer: signer, actorLifetime: actorLifetime,
                         cache: CredentialCache(lifetimeMs: credentialCacheLifetime.wholeMillisecondsValue))
        self.sessionTTL = sessionTTL
        self.logger = logger
    }

    /// Hashes off the event loop (scrypt is deliberately slow).
    func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        let result: Result<String, any Error> = await OffLoop.run { Result { try hasher.hash(password) } }
        return try result.get()
    }

    func verify(_ password: String, against stored: String) async -> Bool {
        let hasher = self.hasher
        return await OffLoop.run { hasher.verify(password, against: stored) }
    }

    static let minimumPasswordLength = 10
    static let maximumPasswordLength = 256

    static func checkPassword(_ password: String, field: String, into violations: inout FieldViolations) {
        if password.count < minimumPasswordLength {
            violations.add(field, "must be at least \(minimumPasswordLength) characters")
        } else if password.utf8.count > maximumPasswordLength {
            violations.add(field, "must be at most \(maximumPasswordLength) bytes")
        }
    }

    /// Page size: default 50, capped at 200.
    static func pageSize(_ requested: Int32) -> Int {
        requested <= 0 ? 50 : min(Int(requested), 200)
    }
}
