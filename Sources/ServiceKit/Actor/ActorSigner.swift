import Messages
import RPC

/// Signs actor contexts (the gateway, the `xsc` CLI, tests): see `ActorCredentials` for the
/// format.
public struct ActorSigner: Sendable {
    private let key: ActorKey

    public init(secret: ActorSecret) {
        key = ActorKey(secret)
    }

    /// The two metadata entries that carry `actor` to a service.
    public func sign(_ actor: Xsc_Common_V1_ActorContext) -> Metadata {
        var metadata = Metadata()
        attach(actor, to: &metadata)
        return metadata
    }

    /// Adds the signed actor to `metadata`, replacing any actor already there.
    public func attach(_ actor: Xsc_Common_V1_ActorContext, to metadata: inout Metadata) {
        let bytes = actor.serializedBytes()
        metadata.removeAll(named: ActorCredentials.actorHeader)
        metadata.removeAll(named: ActorCredentials.signatureHeader)
        metadata.add(ActorCredentials.actorHeader, binary: bytes)
        metadata.add(ActorCredentials.signatureHeader, binary: ActorCredentials.signature(of: bytes, key: key))
    }
}
