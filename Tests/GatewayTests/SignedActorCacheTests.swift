import XCTest
@testable import Gateway
import Postgres
import RPC
import ServiceKit

/// The gateway reuses an actor it signed for a connection's caller and service for a few
/// seconds (`SignedActorCache`): only for the same caller and audience, never past the window,
/// never when the caller names its own request id, and what is reused still verifies.
final class SignedActorCacheTests: XCTestCase {
    private let secret = ActorSecret("signed-actor-cache-test-secret-0123456789")!

    private func door() throws -> FrontDoor {
        // Never connects: backendMetadata needs no database.
        let pool = try PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://nobody@127.0.0.1:1/none"))
        return FrontDoor(sessions: SessionStore(pool: pool), keys: PartnerKeyStore(pool: pool),
                         buckets: TokenBuckets(limits: .init(burst: 1, ratePerSecond: 1)), signer: ActorSigner(secret: secret),
                         actorLifetime: .seconds(60))
    }

    private let partner = Caller.partner(PartnerCredential(keyID: "k1", partnerID: "tmall", channel: "mall"))
    private let otherPartner = Caller.partner(PartnerCredential(keyID: "k2", partnerID: "jd", channel: "mall"))

    private func actorEntries(_ metadata: Metadata) -> [UInt8]? {
        guard let bytes = metadata.binary("x-xsc-actor-bin"), let signature = metadata.binary("x-xsc-actor-sig-bin") else { return nil }
        return bytes + signature
    }

    func testReusedForTheSameCallerAndServiceWithinTheWindow() throws {
        let door = try door()
        let cache = SignedActorCache(reuseWindowMs: 10_000)
        let first = door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_000_000, signedActors: cache)
        let again = door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_009_999, signedActors: cache)
        XCTAssertEqual(actorEntries(first), actorEntries(again))
        // Still exactly one actor per call, and the service accepts the reused one.
        XCTAssertEqual(again.values("x-xsc-actor-bin").count, 1)
        let verifier = ActorVerifier(secret: secret, audience: "orders", clock: { 1_009_999 })
        let actor = try verifier.verify(again)
        XCTAssertEqual(actor.accountID, "tmall")
        XCTAssertEqual(actor.expiresAtMs, 1_060_000, "the expiry set when it was signed")
    }

    func testSignedAgainForAnotherCallerServiceRequestIDOrAfterTheWindow() throws {
        let door = try door()
        let cache = SignedActorCache(reuseWindowMs: 10_000)
        let first = actorEntries(door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_000_000, signedActors: cache))
        let otherCaller = actorEntries(door.backendMetadata(Metadata(), caller: otherPartner, audience: "orders", now: 1_000_001, signedActors: cache))
        let otherService = actorEntries(door.backendMetadata(Metadata(), caller: partner, audience: "customers", now: 1_000_002, signedActors: cache))
        var named = Metadata()
        named.add("x-request-id", "caller-chose-this")
        let withRequestID = door.backendMetadata(named, caller: partner, audience: "orders", now: 1_000_003, signedActors: cache)
        let later = actorEntries(door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_010_000, signedActors: cache))
        let clockBack = actorEntries(door.backendMetadata(Metadata(), caller: otherPartner, audience: "orders", now: 999_000, signedActors: cache))
        for (label, entries) in [("other caller", otherCaller), ("other service", otherService), ("request id", actorEntries(withRequestID)),
                                 ("after the window", later), ("clock stepped back", clockBack)] {
            XCTAssertNotEqual(entries, first, label)
        }
        let actor = try ActorVerifier(secret: secret, audience: "orders", clock: { 1_000_003 }).verify(withRequestID)
        XCTAssertEqual(actor.requestID, "caller-chose-this")
        // The other caller's actor names the other caller, for the other service only.
        XCTAssertThrowsError(try ActorVerifier(secret: secret, audience: "orders", clock: { 1_000_002 })
            .verify(door.backendMetadata(Metadata(), caller: partner, audience: "customers", now: 1_000_002, signedActors: cache)))
    }

    func testWithoutACacheEveryCallIsSignedAfresh() throws {
        let door = try door()
        let first = door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_000_000)
        let second = door.backendMetadata(Metadata(), caller: partner, audience: "orders", now: 1_000_000)
        XCTAssertNotEqual(actorEntries(first), actorEntries(second), "a fresh request id each")
    }
}
