import Crypto

/// The wire format of the signed actor context that the gateway forwards to services.
///
/// Two binary metadata entries (base64 on the wire, as every `-bin` value):
///
///     x-xsc-actor-bin      the xsc.common.v1.ActorContext protobuf
///     x-xsc-actor-sig-bin  HMAC-SHA256(key: XSC_ACTOR_SECRET,
///                                      message: "xsc-actor-v2" || 0x00 || <audience> || 0x00
///                                               || <x-xsc-actor-bin bytes>)
///
/// The audience is the service the actor is for ("orders"): it is bound by the MAC, not sent,
/// so an actor captured on its way to one service is worthless at any other (issue 16). Every
/// service verifies with its own name. The audience-less form ("xsc-actor-v1" || 0x00 ||
/// bytes) still exists for unit tests that pair a signer and a verifier without a service;
/// no running service accepts it.
///
/// The MAC covers the actor bytes exactly as received: the verifier never re-encodes, so any
/// protobuf encoder (the Python wire tests, a grpcurl user) can produce a valid pair. The
/// version label in the MAC input keeps a signature of this format from ever validating
/// anything else signed with the same secret, and names the format should it change. Exactly
/// one entry of each name is accepted: a duplicated header is refused, not guessed at.
enum ActorCredentials {
    static let actorHeader = "x-xsc-actor-bin"
    static let signatureHeader = "x-xsc-actor-sig-bin"
    static let domainLabel: [UInt8] = Array("xsc-actor-v1".utf8) + [0]
    static let audienceLabel: [UInt8] = Array("xsc-actor-v2".utf8) + [0]
    static let signatureLength = 32

    static func signature(of actorBytes: [UInt8], audience: String?, key: ActorKey) -> [UInt8] {
        Array(key.code(for: actorBytes, audience: audience))
    }

    /// Constant-time in the signature's contents (swift-crypto's MAC comparison uses safeCompare).
    static func isValid(signature: [UInt8], of actorBytes: [UInt8], audience: String?, key: ActorKey) -> Bool {
        guard signature.count == signatureLength else { return false }
        return key.code(for: actorBytes, audience: audience) == signature
    }
}

/// The HMAC key, made once. swift-crypto 3 does not mark `SymmetricKey` Sendable, but it is
/// immutable after init (its storage is never written again), so sharing it across the loop
/// threads is safe.
///
/// Every call of a service (and every call the gateway forwards) signs or verifies one actor,
/// so the HMAC state after the key and the domain label is kept and copied per call: the
/// key's inner and outer pads are hashed once per process instead of once per call.
struct ActorKey: @unchecked Sendable {
    let key: SymmetricKey
    private let keyedWithLabel: HMAC<SHA256>
    private let keyedWithAudienceLabel: HMAC<SHA256>

    init(_ secret: ActorSecret) {
        key = SymmetricKey(data: secret.bytes)
        var state = HMAC<SHA256>(key: key)
        state.update(data: ActorCredentials.domainLabel)
        keyedWithLabel = state
        var audienceState = HMAC<SHA256>(key: key)
        audienceState.update(data: ActorCredentials.audienceLabel)
        keyedWithAudienceLabel = audienceState
    }

    /// HMAC-SHA256(key, v2 label || audience || 0 || actorBytes), or with no audience
    /// HMAC-SHA256(key, v1 label || actorBytes).
    func code(for actorBytes: [UInt8], audience: String?) -> HMAC<SHA256>.MAC {
        var state: HMAC<SHA256>
        if let audience {
            state = keyedWithAudienceLabel
            state.update(data: Array(audience.utf8) + [0])
        } else {
            state = keyedWithLabel
        }
        state.update(data: actorBytes)
        return state.finalize()
    }
}
