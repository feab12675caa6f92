import Messages
import RPC

/// Signs actor contexts (the gateway, the `xsc` CLI, tests): see `ActorCredentials` for the
/// format.
public struct ActorSigner: Sendable {
    private let key: ActorKey

    public init(secret: ActorSecret) {
        key = ActorKey(secret)
    }

    /// The two metadata entries that carry `actor` to a service. `audience` is that service's
    /// name ("orders"); only it accepts the actor. Without one, no running service does (the
    /// form is for unit tests of a verifier made without a service name).
    public func sign(_ actor: Xsc_Common_V1_ActorContext, audience: String? = nil) -> Metadata {
        var metadata = Metadata()
        attach(actor, audience: audience, to: &metadata)
        return metadata
    }

    /// Adds the signed actor to `metadata`, replacing any actor already there.
    public func attach(_ actor: Xsc_Common_V1_ActorContext, audience: String? = nil, to metadata: inout Metadata) {
        signed(actor, audience: audience).attach(to: &metadata)
    }

    /// The actor's bytes and their signature for `audience`, to attach now or later (a caller
    /// that sends the same actor again reuses them: no encoding and no HMAC per call).
    public func signed(_ actor: Xsc_Common_V1_ActorContext, audience: String? = nil) -> SignedActor {
        let bytes = actor.serializedBytes()
        return SignedActor(actorBytes: bytes, signature: ActorCredentials.signature(of: bytes, audience: audience, key: key),
                           expiresAtMs: actor.expiresAtMs)
    }
}

/// An actor context as signed: the exact bytes a service verifies.
public struct SignedActor: Sendable, Equatable {
    public let actorBytes: [UInt8]
    public let signature: [UInt8]
    /// The actor's `expires_at_ms`, kept beside the bytes for whoever reuses them.
    public let expiresAtMs: Int64

    /// Adds the two entries to `metadata`, replacing any actor already there.
    public func attach(to metadata: inout Metadata) {
        metadata.removeAll(named: ActorCredentials.actorHeader)
        metadata.removeAll(named: ActorCredentials.signatureHeader)
        metadata.add(ActorCredentials.actorHeader, binary: actorBytes)
        metadata.add(ActorCredentials.signatureHeader, binary: signature)
    }
}
