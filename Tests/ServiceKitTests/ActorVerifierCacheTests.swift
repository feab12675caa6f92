import Messages
import RPC
import Synchronization
import XCTest
@testable import ServiceKit

/// The verifier remembers an actor it accepted by the wire text of its two entries: a reused
/// actor is found without decoding. A hit must never accept what a full check would refuse.
final class ActorVerifierCacheTests: XCTestCase {
    private let secret = ActorSecret(String(repeating: "c", count: 32))!
    private let start: Int64 = 1_750_000_000_000

    private final class Clock: Sendable {
        let now: Atomic<Int64>
        init(_ now: Int64) { self.now = Atomic(now) }
    }

    private func call(_ server: RPCServer, _ metadata: Metadata) async -> Result<String, RPCError> {
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        do {
            let answer: Xsc_Common_V1_ActorContext = try await channel.unary(
                path: WhoAmIService.path, request: Xsc_Common_V1_ActorContext(), options: CallOptions(metadata: metadata))
            return .success(answer.accountId)
        } catch let error as RPCError {
            return .failure(error)
        } catch {
            return .failure(RPCError(code: .unknown, message: "\(error)"))
        }
    }

    func testKnownActorStillExpiresAndATamperedTwinIsRefused() async throws {
        let clock = Clock(start)
        let server = try startTestServer(interceptors: [
            ActorVerifier(secret: secret, clockSkew: .seconds(5), clock: { clock.now.load(ordering: .relaxed) }),
        ])
        defer { server.shutdown() }
        var actor = Xsc_Common_V1_ActorContext()
        actor.accountId = "acct-7"
        actor.role = .staff
        actor.expiresAtMs = start + 60_000
        let signed = ActorSigner(secret: secret).sign(actor)

        // Twice: the second is a hit of the wire cache.
        for _ in 0..<2 {
            let account = try await call(server, signed).get()
            XCTAssertEqual(account, "acct-7")
        }

        // The same actor bytes with another signature: not a hit, and refused.
        var signature = signed.binary("x-xsc-actor-sig-bin") ?? []
        signature[0] ^= 1
        var tampered = Metadata()
        tampered.add("x-xsc-actor-bin", binary: signed.binary("x-xsc-actor-bin") ?? [])
        tampered.add("x-xsc-actor-sig-bin", binary: signature)
        guard case .failure(let refusal) = await call(server, tampered) else { return XCTFail("a tampered signature was accepted") }
        XCTAssertEqual(refusal.code, .unauthenticated)

        // The known actor, once past its expiry and the skew: refused although it is cached.
        clock.now.store(start + 66_000, ordering: .relaxed)
        guard case .failure(let expired) = await call(server, signed) else { return XCTFail("an expired cached actor was accepted") }
        XCTAssertTrue(expired.message.contains("expired"), expired.message)
    }
}
