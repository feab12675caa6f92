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
        let bytes = actor.serializedBytes()
        metadata.removeAll(named: ActorCredentials.actorHeader)
        metadata.removeAll(named: ActorCredentials.signatureHeader)
        metadata.add(ActorCredentials.actorHeader, binary: bytes)
        metadata.add(ActorCredentials.signatureHeader, binary: ActorCredentials.signature(of: bytes, audience: audience, key: key))
    }
}
