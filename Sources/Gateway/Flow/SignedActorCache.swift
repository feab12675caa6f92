import RPC
import ServiceKit
import Synchronization

/// The actors this gateway signed for one client connection, reused for that connection's
/// next calls by the same caller to the same service for a few seconds: the signature (an
/// HMAC) and the actor's encoding were ~7% of the gateway's CPU per forwarded call, and a
/// service that sees the same signed bytes again skips its own HMAC too (`VerifiedActorCache`).
///
/// Why it is safe: the signature binds what it bound before - account, role, domain role, team,
/// partner channel, request id, expiry and the audience (the service) - and a reused actor
/// carries exactly the caller and audience it was signed for (both are the key). Admission
/// (credential, access policy, rate limit) still runs on every call before an actor is
/// attached, so a revoked key or ended session gets nothing forwarded; an actor is valid no
/// longer than one signed per call (its expiry is fixed when signed, `actorLifetime`, and it is
/// reused only during the first `reuseWindowMs` of it). Per connection, so nothing is shared
/// between clients. What changes: calls without an `x-request-id` of their own share the
/// gateway's request id while they reuse an actor (the trace id still names each call); a
/// caller that sends one gets an actor signed for it, as before.
final class SignedActorCache: Sendable {
    private struct Entry {
        let caller: Caller
        let audience: String?
        let signed: SignedActor
        let signedAtMs: Int64
    }

    /// A connection's callers are usually one (a partner's client) or a few (staff behind a
    /// proxy); a ninth starts the list again.
    static let maxEntries = 8
    private let entries = Mutex<[Entry]>([])
    let reuseWindowMs: Int64

    init(reuseWindowMs: Int64) {
        self.reuseWindowMs = reuseWindowMs
    }

    /// The actor signed for `caller` and `audience` within the reuse window before `nowMs`
    /// (Unix ms), or the one `sign` makes now, kept for the next calls.
    func signed(for caller: Caller, audience: String?, nowMs: Int64, sign: () -> SignedActor) -> SignedActor {
        let window = reuseWindowMs
        if let known = entries.withLock({ entries in
            entries.first { $0.caller == caller && $0.audience == audience && nowMs >= $0.signedAtMs && nowMs - $0.signedAtMs < window }
        }) {
            return known.signed
        }
        let fresh = sign()
        entries.withLock { entries in
            entries.removeAll { ($0.caller == caller && $0.audience == audience) || nowMs - $0.signedAtMs >= window || nowMs < $0.signedAtMs }
            if entries.count >= Self.maxEntries { entries.removeAll() }
            entries.append(Entry(caller: caller, audience: audience, signed: fresh, signedAtMs: nowMs))
        }
        return fresh
    }
}

/// The connection slot (`ServerContext.connectionValues`) of its cache.
enum SignedActorCacheKey: ServerContextKey {
    typealias Value = SignedActorCache
}
