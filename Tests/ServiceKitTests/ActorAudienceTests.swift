import Messages
import RPC
import XCTest
@testable import ServiceKit

/// The audience and the lifetime cap of the signed actor (issue 16), checked by the verifier
/// every service runs (StandardInterceptors passes the service's name). Shown able to fail:
/// before, the MAC covered only the actor bytes, so the "other audience" cases verified, and a
/// ten-year expiry was accepted.
final class ActorAudienceTests: XCTestCase {
    private let secret = ActorSecret(String(repeating: "k", count: 32))!
    private let now: Int64 = 1_750_000_000_000

    private func actor(lifetimeMs: Int64 = 60_000) -> Xsc_Common_V1_ActorContext {
        var actor = Xsc_Common_V1_ActorContext()
        actor.accountId = "acct-42"
        actor.role = .admin
        actor.requestId = "req-1"
        actor.expiresAtMs = now + lifetimeMs
        return actor
    }

    private func verifier(_ audience: String?) -> ActorVerifier {
        let now = self.now
        return ActorVerifier(secret: secret, audience: audience, clock: { now })
    }

    private func refusal(_ verifier: ActorVerifier, _ metadata: Metadata) -> String? {
        do {
            _ = try verifier.verify(metadata)
            return nil
        } catch {
            XCTAssertEqual(error.code, .unauthenticated)
            return error.message
        }
    }

    func testAnActorIsValidOnlyAtItsAudience() throws {
        let signed = ActorSigner(secret: secret).sign(actor(), audience: "orders")
        XCTAssertEqual(try verifier("orders").verify(signed).accountID, "acct-42")
        XCTAssertNotNil(refusal(verifier("notifications"), signed))
        XCTAssertNotNil(refusal(verifier(nil), signed))
        // An actor signed for no audience is refused by every service's verifier.
        let bare = ActorSigner(secret: secret).sign(actor())
        XCTAssertNotNil(refusal(verifier("orders"), bare))
    }

    func testMintedActorsCarryTheAudience() throws {
        let minted = ActorMint.mint(secret: secret, accountID: "svc", role: .system, lifetime: .seconds(60),
                                    audience: "notifications", now: now)
        XCTAssertNoThrow(try verifier("notifications").verify(minted))
        XCTAssertNotNil(refusal(verifier("orders"), minted))
    }

    func testALifetimePastTheCapIsRefused() {
        let signer = ActorSigner(secret: secret)
        XCTAssertNoThrow(try verifier("orders").verify(signer.sign(actor(lifetimeMs: 3_600_000), audience: "orders")))
        let tenYears = signer.sign(actor(lifetimeMs: 10 * 365 * 86_400_000), audience: "orders")
        XCTAssertTrue(refusal(verifier("orders"), tenYears)?.contains("cap") ?? false)
        let justOver = signer.sign(actor(lifetimeMs: 3_600_000 + 6_000), audience: "orders")
        XCTAssertNotNil(refusal(verifier("orders"), justOver))
    }
}
