import XCTest
@testable import Gateway
import Postgres
import RPC
import ServiceKit

/// What a backend receives from the gateway: no credential, no client-sent actor, one actor the
/// services' own verifier accepts.
final class ForwardedMetadataTests: XCTestCase {
    private let secret = ActorSecret("forwarded-metadata-test-secret-0123456789")!

    private func door() throws -> FrontDoor {
        // Never connects: backendMetadata needs no database.
        let pool = try PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://nobody@127.0.0.1:1/none"))
        return FrontDoor(sessions: SessionStore(pool: pool), keys: PartnerKeyStore(pool: pool),
                         buckets: TokenBuckets(limits: .init(burst: 1, ratePerSecond: 1)), signer: ActorSigner(secret: secret))
    }

    func testCredentialAndForgedActorAreReplacedBySignedActor() throws {
        var incoming = Metadata()
        incoming.add("authorization", "Bearer xsc_st_secret")
        incoming.add("x-xsc-actor-bin", binary: [1, 2, 3])
        incoming.add("x-xsc-actor-sig-bin", binary: [4, 5, 6])
        incoming.add("x-request-id", "trace-1")
        incoming.add("idempotency-key", "k1")
        let caller = Caller.staff(StaffSession(accountID: "acc-1", role: .teamAdmin, nodePath: "/hq/cq/t7",
                                               tokenSHA256: [], expiresAtMs: 0))
        let forwarded = try door().backendMetadata(incoming, caller: caller, now: 1_000_000)

        XCTAssertNil(forwarded["authorization"])
        XCTAssertEqual(forwarded["idempotency-key"], "k1")
        XCTAssertEqual(forwarded.values("x-xsc-actor-bin").count, 1)
        XCTAssertNotEqual(forwarded.binary("x-xsc-actor-bin"), [1, 2, 3])
        let actor = try ActorVerifier(secret: secret, clock: { 1_000_000 }).verify(forwarded)
        XCTAssertEqual(actor.accountID, "acc-1")
        XCTAssertEqual(actor.role, .manager)
        XCTAssertEqual(actor.domainRole, "team_admin")
        XCTAssertEqual(actor.teamPath, "/hq/cq/t7")
        XCTAssertEqual(actor.requestID, "trace-1")
        XCTAssertEqual(actor.expiresAtMs, 1_060_000)
        // Another secret does not accept it.
        let other = ActorSecret("another-secret-another-secret-0123456789")!
        XCTAssertThrowsError(try ActorVerifier(secret: other, clock: { 1_000_000 }).verify(forwarded))
    }

    func testPartnerActor() throws {
        let caller = Caller.partner(PartnerCredential(keyID: "k", partnerID: "tmall", channel: "mall"))
        let forwarded = try door().backendMetadata(Metadata(), caller: caller, now: 0)
        let actor = try ActorVerifier(secret: secret, clock: { 0 }).verify(forwarded)
        XCTAssertEqual(actor.accountID, "tmall")
        XCTAssertEqual(actor.role, .partner)
        XCTAssertEqual(actor.partnerChannel, "mall")
        XCTAssertEqual(actor.domainRole, "")
        XCTAssertFalse(actor.requestID.isEmpty)
    }
}

extension ForwardedMetadataTests {
    /// What notifications checks to let an SMS provider in: role PARTNER + the reserved channel.
    func testProviderActor() throws {
        let caller = Caller.partner(PartnerCredential(keyID: "k", partnerID: "drill-sms", channel: PartnerCredential.smsProviderChannel))
        let forwarded = try door().backendMetadata(Metadata(), caller: caller, now: 0)
        let actor = try ActorVerifier(secret: secret, clock: { 0 }).verify(forwarded)
        XCTAssertEqual(actor.role, .partner)
        XCTAssertEqual(actor.partnerChannel, "sms_provider")
        XCTAssertEqual(actor.accountID, "drill-sms")
    }
}
