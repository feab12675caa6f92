import NetIO
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
    private let state = Mutex(State())

    private struct State {
        var entries: [Key: VerifiedActor] = [:]
        /// The last actor found or stored: callers that reuse an actor (the gateway per
        /// connection, relays) send the same bytes call after call, and comparing them with the
        /// last hit is a memcmp where the dictionary hashed them first.
        var last: (key: Key, actor: VerifiedActor)?
    }

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
            // The signature is a MAC of the rest: its first 16 bytes alone spread the keys (a
            // slice hashed whole is a Hasher step per byte). Only verified actors are stored,
            // so nobody without the secret can make keys collide on purpose.
            var first: UInt64 = 0
            var second: UInt64 = 0
            var index = signature.startIndex
            for _ in 0..<min(8, signature.count) {
                first = first << 8 | UInt64(signature[index])
                index += 1
            }
            for _ in 0..<min(8, signature.endIndex - index) {
                second = second << 8 | UInt64(signature[index])
                index += 1
            }
            hasher.combine(signature.count)
            hasher.combine(first)
            hasher.combine(second)
        }

        static func == (left: Key, right: Key) -> Bool {
            left.wireForm == right.wireForm && ByteStrings.equal(left.signature, right.signature)
                && ByteStrings.equal(left.actor, right.actor)
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
        state.withLock { state in
            if let last = state.last, last.key == key { return last.actor }
            guard let index = state.entries.index(forKey: key) else { return nil }
            // The stored key, not the one asked with: that one's slices may hold a whole
            // header block of a call.
            let found = state.entries[index]
            state.last = (found.key, found.value)
            return found.value
        }
    }

    private func store(_ actor: VerifiedActor, _ key: Key) {
        state.withLock { state in
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = actor
            state.last = (key, actor)
        }
    }
}
