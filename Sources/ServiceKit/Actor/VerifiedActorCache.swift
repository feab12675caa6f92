import Synchronization

/// Actors this verifier has already checked, keyed by their exact bytes: the actor context
/// *and* its signature as received. Safe because nothing but those bytes decides the outcome:
/// the MAC covers the audience (this verifier's own, fixed) and the actor bytes, and a hit is
/// still refused once its `expires_at_ms` has passed (the lifetime cap only shrinks with time,
/// so it needs no second look). A forged or wrong-audience actor never gets in (only verified
/// ones are stored), so a hit can never turn a refusal into an acceptance.
///
/// Bounded: at `capacity` entries it starts again empty (only holders of the secret can make
/// entries, so this bounds memory, not an attack). Actors minted per call (the gateway's carry
/// a fresh request id each) never hit; callers that reuse one (tools, relays, load tests) do.
final class VerifiedActorCache: Sendable {
    private let capacity: Int
    private let entries = Mutex<[[UInt8]: VerifiedActor]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    private static func key(_ actorBytes: [UInt8], _ signature: [UInt8]) -> [UInt8] {
        signature + actorBytes
    }

    func actor(actorBytes: [UInt8], signature: [UInt8]) -> VerifiedActor? {
        let key = Self.key(actorBytes, signature)
        return entries.withLock { $0[key] }
    }

    func store(_ actor: VerifiedActor, actorBytes: [UInt8], signature: [UInt8]) {
        let key = Self.key(actorBytes, signature)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = actor
        }
    }
}
