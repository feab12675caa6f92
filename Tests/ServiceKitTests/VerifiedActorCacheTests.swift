import Messages
import RPC
import Synchronization
import XCTest
@testable import ServiceKit

/// The verifier remembers actors it verified by their exact signed bytes (issue 15: no HMAC per
/// call for a caller that reuses its actor), and that never accepts anything it would refuse.
final class VerifiedActorCacheTests: XCTestCase {
    private let secret = ActorSecret(String(repeating: "k", count: 32))!
    private let start: Int64 = 1_750_000_000_000

    private final class Clock: Sendable {
        let millis: Mutex<Int64>
        init(_ millis: Int64) { self.millis = Mutex(millis) }
        var now: WallClock { { [self] in millis.withLock { $0 } } }
    }

    private func refused(_ verifier: ActorVerifier, _ metadata: Metadata) -> String? {
        do {
            _ = try verifier.verify(metadata)
            return nil
        } catch {
            return error.message
        }
    }

    func testAReusedActorIsAcceptedUntilItExpiresAndNoAlteredCopyEver() throws {
        let clock = Clock(start)
        let verifier = ActorVerifier(secret: secret, audience: "orders", clockSkew: .seconds(5), clock: clock.now)
        let signed = ActorMint.mint(secret: secret, accountID: "acct-7", role: .partner, lifetime: .seconds(60),
                                    audience: "orders", now: start)
        XCTAssertEqual(try verifier.verify(signed).accountID, "acct-7")
        XCTAssertEqual(try verifier.verify(signed).accountID, "acct-7", "again, from the cache")

        // The same actor bytes with another signature: verified afresh, and refused.
        var forged = signed
        forged.removeAll(named: "x-xsc-actor-sig-bin")
        forged.add("x-xsc-actor-sig-bin", binary: [UInt8](repeating: 7, count: 32))
        XCTAssertNotNil(refused(verifier, forged))
        // The cached actor is for this verifier's audience only.
        let other = ActorVerifier(secret: secret, audience: "notifications", clock: clock.now)
        XCTAssertNotNil(refused(other, signed))

        clock.millis.withLock { $0 = start + 64_000 }
        XCTAssertNil(refused(verifier, signed), "within the clock skew")
        clock.millis.withLock { $0 = start + 66_000 }
        XCTAssertEqual(refused(verifier, signed), "actor context expired")
    }

    func testTheCacheStaysBounded() {
        let cache = VerifiedActorCache(capacity: 3)
        var context = Xsc_Common_V1_ActorContext()
        context.accountId = "a"
        context.role = .staff
        context.expiresAtMs = start
        let actor = VerifiedActor(context)
        for index in 0..<5 { cache.store(actor, actorBytes: [UInt8(index)], signature: [1]) }
        XCTAssertNil(cache.actor(actorBytes: [0], signature: [1]), "emptied when full")
        XCTAssertNotNil(cache.actor(actorBytes: [4], signature: [1]))
        XCTAssertNil(cache.actor(actorBytes: [4], signature: [2]), "keyed by the signature too")
    }

    /// The last hit is compared before the table is searched: it must match only the very same
    /// bytes, in the same form (decoded or as received).
    func testTheLastHitMatchesOnlyTheSameBytes() {
        let cache = VerifiedActorCache(capacity: 8)
        func actor(_ account: String) -> VerifiedActor {
            var context = Xsc_Common_V1_ActorContext()
            context.accountId = account
            context.role = .staff
            context.expiresAtMs = start
            return VerifiedActor(context)
        }
        let signature = Array("c2lnbmF0dXJlLW9mLXRoZS1hY3Rvci1ieXRlcy0wMTIz".utf8)
        cache.store(actor("one"), actorBytes: Array("actor-one".utf8), signature: signature)
        cache.store(actor("two"), wireActor: Array("actor-two".utf8)[...], wireSignature: signature[...])
        XCTAssertEqual(cache.actor(wireActor: Array("actor-two".utf8)[...], wireSignature: signature[...])?.accountID, "two")
        XCTAssertEqual(cache.actor(wireActor: Array("actor-two".utf8)[...], wireSignature: signature[...])?.accountID, "two",
                       "the last hit")
        XCTAssertNil(cache.actor(wireActor: Array("actor-twO".utf8)[...], wireSignature: signature[...]), "same signature, other actor")
        XCTAssertNil(cache.actor(actorBytes: Array("actor-two".utf8), signature: signature), "the other form")
        var otherSignature = signature
        otherSignature[otherSignature.count - 1] = UInt8(ascii: "4")
        XCTAssertNil(cache.actor(wireActor: Array("actor-two".utf8)[...], wireSignature: otherSignature[...]),
                     "same first bytes of the signature, another end")
        XCTAssertEqual(cache.actor(actorBytes: Array("actor-one".utf8), signature: signature)?.accountID, "one")
        XCTAssertEqual(cache.actor(wireActor: Array("actor-two".utf8)[...], wireSignature: signature[...])?.accountID, "two")
    }
}
