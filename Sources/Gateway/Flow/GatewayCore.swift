import DomainKit
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// What the gateway's own handlers share: the stores, the password hasher and the front door.
public struct GatewayCore: Sendable {
    public let org: OrgStore
    public let accounts: AccountStore
    public let sessions: SessionStore
    public let keys: PartnerKeyStore
    public let hasher: PasswordHasher
    /// The bounded threads every hash and verification runs on (HashingPool).
    public let hashing: HashingPool
    public let door: FrontDoor
    public let sessionTTL: Duration
    public let logger: Logger
    let pool: PostgresPool
    /// Logins per client address: each costs a scrypt hash (32 MiB, tens of ms), so a flood of
    /// logins for many phones must not take the gateway's CPU and memory.
    let loginBuckets: TokenBuckets
    private let clockOrigin = ContinuousClock.now
    let idempotency = IdempotencyStore()

    public init(pool: PostgresPool, hasher: PasswordHasher, buckets: TokenBuckets, signer: ActorSigner,
                sessionTTL: Duration, actorLifetime: Duration, credentialCacheLifetime: Duration = .zero,
                loginLimits: TokenBuckets.Limits = TokenBuckets.Limits(burst: 20, ratePerSecond: 5), logger: Logger,
                hashing: HashingPool = HashingPool()) {
        self.hashing = hashing
        loginBuckets = TokenBuckets(limits: loginLimits)
        self.pool = pool
        org = OrgStore(pool: pool)
        accounts = AccountStore(pool: pool)
        sessions = SessionStore(pool: pool)
        keys = PartnerKeyStore(pool: pool)
        self.hasher = hasher
        door = FrontDoor(sessions: sessions, keys: keys, buckets: buckets, signer: signer, actorLifetime: actorLifetime,
                         cache: CredentialCache(lifetimeMs: credentialCacheLifetime.wholeMilliseconds))
        self.sessionTTL = sessionTTL
        self.logger = logger
    }

    /// Runs a create in one transaction; with an `idempotency-key` header, a retry with the same
    /// key and request gets the first answer again (IdempotencyStore, kept >= 24 h), a different
    /// request with that key FAILED_PRECONDITION. Without one, the natural key (path, phone)
    /// still refuses a duplicate with ALREADY_EXISTS.
    func idempotentCreate<Request: RPCMessage, Response: RPCMessage>(
        _ context: ServerContext, scope: String, request: Request,
        _ body: @escaping (PostgresTransaction) async throws -> Response
    ) async throws -> Response {
        let key = context.requestMetadata[IdempotencyStore.metadataKey]
        let caller = context[CallerKey.self]
        let owner: String
        switch caller {
        case .staff(let session)?: owner = session.accountID
        case .partner(let key)?: owner = "key:" + key.keyID
        case nil: owner = "-"
        }
        let idempotency = self.idempotency
        return try await pool.transaction { transaction in
            guard let key, !key.isEmpty else { return try await body(transaction) }
            // Keys are per caller: another account's key can never replay this one's answer.
            return try await idempotency.run(in: transaction, scope: scope + ":" + owner, key: key, request: request) {
                try await body(transaction)
            }
        }
    }

    /// Takes a login token for the client's address (the peer without its port).
    func admitLogin(from peer: String) throws(RPCError) {
        let address = peer.lastIndex(of: ":").map { String(peer[..<$0]) } ?? peer
        if case .refused(let retryAfterMs) = loginBuckets.take("peer:" + address,
                                                               nowMs: (ContinuousClock.now - clockOrigin).wholeMilliseconds) {
            throw GatewayErrors.rateLimited(retryAfterMs: retryAfterMs)
        }
    }

    /// Hashes off the event loop (scrypt is deliberately slow), on the bounded HashingPool:
    /// RESOURCE_EXHAUSTED when too many hashes already wait.
    func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        let result: Result<String, any Error> = try await hashing.run { Result { try hasher.hash(password) } }
        return try result.get()
    }

    func verify(_ password: String, against stored: String) async throws -> Bool {
        let hasher = self.hasher
        return try await hashing.run { hasher.verify(password, against: stored) }
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
