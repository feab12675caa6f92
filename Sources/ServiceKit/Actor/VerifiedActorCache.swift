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
    private let entries = Mutex<[Key: VerifiedActor]>([:])

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The two byte strings, decoded or as they arrived on the wire (base64 text: then a hit
    /// needs no decoding), hashed and compared in place (concatenating them into one key cost
    /// an allocation per call). The two forms never match each other.
    private struct Key: Hashable {
        let actor: ArraySlice<UInt8>
        let signature: ArraySlice<UInt8>
        let wireForm: Bool

        func hash(into hasher: inout Hasher) {
            // The signature is a MAC of the rest: its bytes alone spread the keys.
            hasher.combine(signature)
        }
    }

    func actor(actorBytes: [UInt8], signature: [UInt8]) -> VerifiedActor? {
        lookUp(Key(actor: actorBytes[...], signature: signature[...], wireForm: false))
    }

    /// By the base64 text of both entries as received.
    func actor(wireActor: ArraySlice<UInt8>, wireSignature: ArraySlice<UInt8>) -> VerifiedActor? {
        lookUp(Key(actor: wireActor, signature: wireSignature, wireForm: true))
    }

    func store(_ actor: VerifiedActor, actorBytes: [UInt8], signature: [UInt8]) {
        store(actor, Key(actor: actorBytes[...], signature: signature[...], wireForm: false))
    }

    /// Stores `actor`, verified from the decoded bytes of exactly these wire values.
    func store(_ actor: VerifiedActor, wireActor: ArraySlice<UInt8>, wireSignature: ArraySlice<UInt8>) {
        // Copied: a slice would keep the whole header block of its call alive.
        store(actor, Key(actor: Array(wireActor)[...], signature: Array(wireSignature)[...], wireForm: true))
    }

    private func lookUp(_ key: Key) -> VerifiedActor? {
        entries.withLock { $0[key] }
    }

    private func store(_ actor: VerifiedActor, _ key: Key) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = actor
        }
    }
}
