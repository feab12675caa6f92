import Messages
import RPC
import ServiceKit

/// The gateway's admission of every call, its own methods and forwarded ones alike: reads the
/// bearer credential from `authorization`, resolves it to a staff session or a partner key,
/// applies the access policy and the caller's token bucket, and records the caller in the
/// context. Async (credentials live in the database), so it runs at the start of each handler
/// rather than as a synchronous ServerInterceptor.
public struct FrontDoor: Sendable {
    let sessions: SessionStore
    let keys: PartnerKeyStore
    let policy: AccessPolicy
    let buckets: TokenBuckets
    let signer: ActorSigner
    let actorLifetime: Duration
    let cache: CredentialCache
    /// Token buckets count milliseconds from here (monotonic, unaffected by wall-clock steps).
    private let clockOrigin = ContinuousClock.now

    public init(sessions: SessionStore, keys: PartnerKeyStore, policy: AccessPolicy = .standard,
                buckets: TokenBuckets, signer: ActorSigner, actorLifetime: Duration = .seconds(60),
                cache: CredentialCache = CredentialCache(lifetimeMs: 0)) {
        self.sessions = sessions
        self.keys = keys
        self.policy = policy
        self.buckets = buckets
        self.signer = signer
        self.actorLifetime = actorLifetime
        self.cache = cache
    }

    /// The caller, or nil for a method callable anonymously; throws UNAUTHENTICATED,
    /// PERMISSION_DENIED or RESOURCE_EXHAUSTED.
    @discardableResult
    public func admit(_ context: ServerContext) async throws -> Caller? {
        guard let caller = try await admit(path: context.path, metadata: context.requestMetadata,
                                           clientCertSHA256: context.tls?.peerCertificate?.sha256) else { return nil }
        context[CallerKey.self] = caller
        return caller
    }

    /// The same admission for a call that did not arrive as gRPC (the partner HTTP/JSON API):
    /// `path` is the gRPC method the request maps to, `metadata` carries its `authorization`,
    /// `clientCertSHA256` is the fingerprint of the verified certificate of the request's TLS
    /// connection (nil without TLS or without one): a key bound to a certificate needs exactly that one.
    public func admit(path: String, metadata: Metadata, clientCertSHA256: String? = nil) async throws -> Caller? {
        if policy.isAnonymous(path) { return nil }
        guard let token = Self.bearerToken(metadata) else { throw GatewayErrors.noCredentials }
        let caller = try await resolve(token)
        if case .partner(let key) = caller, !key.accepts(clientCertSHA256: clientCertSHA256) { throw GatewayErrors.badAPIKey }
        guard policy.decide(caller, path: path) == .allowed else {
            throw RPCError(code: .permissionDenied, message: "this method is not available to the caller's role")
        }
        if case .refused(let retryAfterMs) = buckets.take(caller.rateLimitKey, nowMs: monotonicMs()) {
            throw GatewayErrors.rateLimited(retryAfterMs: retryAfterMs)
        }
        return caller
    }

    func resolve(_ token: String) async throws -> Caller {
        let hash = SecretToken.sha256(token)
        if let cached = cache.caller(for: hash, nowMs: monotonicMs(), wallNowMs: SystemWallClock.now()) {
            return cached
        }
        var caller: Caller?
        if token.hasPrefix(SecretToken.sessionPrefix), let session = try await sessions.live(tokenSHA256: hash) {
            caller = .staff(session)
        } else if token.hasPrefix(SecretToken.partnerKeyPrefix), let key = try await keys.active(keySHA256: hash) {
            caller = .partner(key)
        }
        guard let caller else {
            throw token.hasPrefix(SecretToken.partnerKeyPrefix) ? GatewayErrors.badAPIKey : GatewayErrors.badCredentials
        }
        cache.store(caller, for: hash, nowMs: monotonicMs())
        return caller
    }

    private func monotonicMs() -> Int64 {
        (ContinuousClock.now - clockOrigin).wholeMilliseconds
    }

    /// The signed actors of the call's connection (`SignedActorCache`), for `backendMetadata`.
    func signedActors(_ context: ServerContext) -> SignedActorCache {
        // Reused for at most a sixth of the actor's lifetime (10 s of the usual 60 s): every
        // reused actor still has most of its lifetime left when it arrives.
        let window = actorLifetime.wholeMilliseconds / 6
        return context.connectionValues.value(SignedActorCacheKey.self) { SignedActorCache(reuseWindowMs: window) }
    }

    /// What a backend receives: the caller's metadata without its credential and without any
    /// actor entries it tried to send, plus a signed actor: signed now, or with `signedActors`
    /// (the call's connection's) one signed for the same caller and audience a moment ago
    /// when the caller sent no `x-request-id` (see `SignedActorCache` for why that is safe).
    /// `audience` is the backend's service name: the actor is valid there only.
    func backendMetadata(_ metadata: Metadata, caller: Caller, audience: String? = nil,
                         now: Int64 = SystemWallClock.now(), signedActors: SignedActorCache?) -> Metadata {
        var forwarded = Metadata()
        for entry in metadata where entry.name != "authorization" && !entry.name.hasPrefix("x-xsc-actor") {
            forwarded.add(entry)
        }
        // The backend's parent span is the gateway's (which continued the caller's trace, or
        // started one for a caller that sent none).
        forwarded.setTrace()
        var actor = Xsc_Common_V1_ActorContext()
        switch caller {
        case .staff(let session):
            actor.accountId = session.accountID
            actor.role = session.role.actorRole
            actor.domainRole = session.role.rawValue
            actor.teamPath = session.nodePath
        case .partner(let key):
            // Services know a partner by its id (orders stores it on the partner's orders).
            actor.accountId = key.partnerID
            actor.role = .partner
            actor.partnerChannel = key.channel
            actor.teamPath = ""
        }
        let requestID = metadata["x-request-id"]
        let unstamped = actor
        let sign = { () -> SignedActor in
            var stamped = unstamped
            stamped.requestId = requestID ?? ActorMint.randomRequestID()
            stamped.expiresAtMs = now + actorLifetime.wholeMilliseconds
            return signer.signed(stamped, audience: audience)
        }
        let signed = if requestID == nil, let signedActors {
            signedActors.signed(for: caller, audience: audience, nowMs: now, sign: sign)
        } else {
            sign()
        }
        signed.attach(to: &forwarded)
        return forwarded
    }

    /// `backendMetadata` with an actor signed for this call alone.
    public func backendMetadata(_ metadata: Metadata, caller: Caller, audience: String? = nil,
                                now: Int64 = SystemWallClock.now()) -> Metadata {
        backendMetadata(metadata, caller: caller, audience: audience, now: now, signedActors: nil)
    }

    static func bearerToken(_ metadata: Metadata) -> String? {
        guard let value = metadata["authorization"] else { return nil }
        return bearerToken(inHeader: value)
    }

    /// "Bearer <token>" (the scheme in any case, spaces around the token dropped), read by byte:
    /// every call comes here, and splitting, lower-casing and trimming by Character cost ~3% of
    /// the gateway's CPU per forwarded call.
    static func bearerToken(inHeader value: String) -> String? {
        let space = UInt8(ascii: " ")
        let bytes = value.utf8.drop { $0 == space }
        let scheme = "bearer".utf8
        guard bytes.count > scheme.count, bytes.starts(with: scheme, by: { $0 | 0x20 == $1 }) else { return nil }
        let rest = bytes.dropFirst(scheme.count)
        guard rest.first == space else { return nil }
        let start = rest.drop { $0 == space }
        guard let last = start.lastIndex(where: { $0 != space }) else { return nil }
        return String(decoding: start[...last], as: UTF8.self)
    }
}
