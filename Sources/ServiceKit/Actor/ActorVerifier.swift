import Messages
import NetIO
import RPC

/// Checks the signed actor context on every call before the handler runs, and hands the
/// verified actor to the handler through `context.verifiedActor`. A call without a valid,
/// unexpired actor ends with UNAUTHENTICATED and a message saying which check failed (the
/// checks run in an order that reveals nothing about an actor whose signature is wrong).
///
/// Health and reflection are always exempt, so orchestrators and grpcurl need no secret;
/// services may exempt more methods by full path ("/pkg.Service/Method").
public struct ActorVerifier: ServerInterceptor {
    public static let alwaysExemptServices: Set<String> = [
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]

    /// The longest an actor may still be valid for when it arrives: the gateway signs for 60 s,
    /// relays for at most 5 minutes, `xsc mint-actor` for an hour at most. A captured actor is
    /// worth at most this long, and a minted ten-year actor is worth nothing.
    public static let defaultMaxLifetime: Duration = .seconds(3600)

    private let key: ActorKey
    private let audience: String?
    private let exemptMethods: Set<String>
    private let clockSkewMs: Int64
    private let maxLifetimeMs: Int64
    private let clock: WallClock
    private let verified = VerifiedActorCache(capacity: 1024)

    /// `audience` is the verifying service's name: only actors signed for it are accepted
    /// (nil, for unit tests only, accepts only audience-less actors). `clockSkew` is how long
    /// after its expiry an actor is still accepted, for clocks of the gateway and the service
    /// that disagree slightly; an expiry further ahead than `maxLifetime` (plus the skew) is
    /// refused.
    public init(secret: ActorSecret, audience: String? = nil, exemptMethods: Set<String> = [],
                clockSkew: Duration = .seconds(5), maxLifetime: Duration = ActorVerifier.defaultMaxLifetime,
                clock: @escaping WallClock = SystemWallClock.now) {
        self.key = ActorKey(secret)
        self.audience = audience
        self.exemptMethods = exemptMethods
        self.clockSkewMs = clockSkew.wholeMilliseconds
        self.maxLifetimeMs = maxLifetime.wholeMilliseconds
        self.clock = clock
    }

    public func callStarted(_ context: ServerContext) throws {
        guard !isExempt(context.path) else { return }
        // The two entries as they arrived: an actor seen before (a caller that reuses its
        // actor: the gateway for a few seconds, relays, tools) is found by its base64 text, with
        // no decoding; otherwise decoded and verified, and remembered by that text.
        let wireActor = context.requestSingleWireValue(ActorCredentials.actorHeader)
        let wireSignature = context.requestSingleWireValue(ActorCredentials.signatureHeader)
        if case .one(let actorText) = wireActor, case .one(let signatureText) = wireSignature {
            if let known = verified.actor(wireActor: actorText, wireSignature: signatureText) {
                guard clock() <= known.expiresAtMs &+ clockSkewMs else { throw refusal("actor context expired") }
                context[VerifiedActorKey.self] = known
                return
            }
            let actor = try verify(actor: context.requestSingleBinary(ActorCredentials.actorHeader),
                                   signature: context.requestSingleBinary(ActorCredentials.signatureHeader))
            verified.store(actor, wireActor: actorText, wireSignature: signatureText)
            context[VerifiedActorKey.self] = actor
            return
        }
        context[VerifiedActorKey.self] = try verify(actor: context.requestSingleBinary(ActorCredentials.actorHeader),
                                                    signature: context.requestSingleBinary(ActorCredentials.signatureHeader))
    }

    public func isExempt(_ path: String) -> Bool {
        if !exemptMethods.isEmpty && exemptMethods.contains(path) { return true }
        // "/<service>/<method>" of an always-exempt service, found by comparing bytes: every
        // call comes here, and splitting the path cost an array and a String per call.
        for prefix in Self.alwaysExemptPrefixes where ByteStrings.hasPrefix(path, prefix) {
            let method = path.utf8.dropFirst(prefix.utf8.count)
            return !method.isEmpty && !method.contains(UInt8(ascii: "/"))
        }
        return false
    }

    private static let alwaysExemptPrefixes = alwaysExemptServices.map { "/" + $0 + "/" }

    /// The verified actor of `metadata`, or UNAUTHENTICATED.
    public func verify(_ metadata: Metadata) throws(RPCError) -> VerifiedActor {
        try verify(actor: Self.single(metadata.values(ActorCredentials.actorHeader)),
                   signature: Self.single(metadata.values(ActorCredentials.signatureHeader)))
    }

    private static func single(_ values: [Metadata.Value]) -> SingleMetadataValue<[UInt8]> {
        switch values.count {
        case 0: return .absent
        case 1: if case .binary(let bytes) = values[0] { return .one(bytes) } else { return .several }
        default: return .several
        }
    }

    func verify(actor: SingleMetadataValue<[UInt8]>, signature: SingleMetadataValue<[UInt8]>) throws(RPCError) -> VerifiedActor {
        if case .absent = actor, case .absent = signature {
            throw refusal("missing signed actor context (\(ActorCredentials.actorHeader) and \(ActorCredentials.signatureHeader))")
        }
        guard case .one(let actorBytes) = actor, case .one(let signature) = signature else {
            throw refusal("the actor context needs exactly one \(ActorCredentials.actorHeader) and one \(ActorCredentials.signatureHeader)")
        }
        // The same signed bytes seen before (a caller that reuses its actor: a tool, a relay,
        // a load test) need no second HMAC and decode; only the expiry can have changed.
        if let known = verified.actor(actorBytes: actorBytes, signature: signature) {
            guard clock() <= known.expiresAtMs &+ clockSkewMs else {
                throw refusal("actor context expired")
            }
            return known
        }
        // One check for a forged signature and for an actor signed for another service: the
        // MAC covers the audience, and telling the two apart would help nobody but a prober.
        guard ActorCredentials.isValid(signature: signature, of: actorBytes, audience: audience, key: key) else {
            throw refusal("invalid actor context signature (or an actor for another service)")
        }
        guard let context = try? Xsc_Common_V1_ActorContext(serializedBytes: actorBytes) else {
            throw refusal("malformed actor context")
        }
        guard !context.accountId.isEmpty, ActorVerifier.isKnown(context.role), context.expiresAtMs > 0 else {
            throw refusal("incomplete actor context (account_id, role and expires_at_ms are required)")
        }
        let now = clock()
        guard now <= context.expiresAtMs &+ clockSkewMs else {
            throw refusal("actor context expired")
        }
        guard context.expiresAtMs &- now <= maxLifetimeMs &+ clockSkewMs else {
            throw refusal("actor context lifetime exceeds the cap of \(maxLifetimeMs / 1000) s")
        }
        let actor = VerifiedActor(context)
        verified.store(actor, actorBytes: actorBytes, signature: signature)
        return actor
    }

    private static func isKnown(_ role: VerifiedActor.Role) -> Bool {
        switch role {
        case .unspecified, .unrecognized: false
        default: true
        }
    }

    private func refusal(_ message: String) -> RPCError {
        RPCError(code: .unauthenticated, message: message)
    }
}
