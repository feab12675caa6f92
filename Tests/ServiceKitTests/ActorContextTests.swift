import Messages
import RPC
import XCTest
@testable import ServiceKit

final class ActorContextTests: XCTestCase {
    private let secret = ActorSecret(String(repeating: "k", count: 32))!
    private let now: Int64 = 1_750_000_000_000

    private func actor(expiresAt: Int64? = nil) -> Xsc_Common_V1_ActorContext {
        var actor = Xsc_Common_V1_ActorContext()
        actor.accountId = "acct-42"
        actor.role = .manager
        actor.teamPath = "/east/shanghai/team-3"
        actor.requestId = "req-1"
        actor.expiresAtMs = expiresAt ?? now + 60_000
        return actor
    }

    private func call(_ server: RPCServer, path: String = WhoAmIService.path,
                      metadata: Metadata) async throws -> Xsc_Common_V1_ActorContext {
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        return try await channel.unary(path: path, request: Xsc_Common_V1_ActorContext(),
                                       options: CallOptions(metadata: metadata))
    }

    private func assertRefused(_ server: RPCServer, _ metadata: Metadata, mentioning text: String,
                               file: StaticString = #filePath, line: UInt = #line) async {
        do {
            _ = try await call(server, metadata: metadata)
            XCTFail("expected UNAUTHENTICATED", file: file, line: line)
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unauthenticated, file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "\"\(error.message)\" lacks \"\(text)\"", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    private func startServer(exempt: Set<String> = []) throws -> RPCServer {
        let now = self.now
        return try startTestServer(interceptors: [
            ActorVerifier(secret: secret, exemptMethods: exempt, clockSkew: .seconds(5), clock: { now }),
        ])
    }

    func testValidActorReachesTheHandler() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        let answer = try await call(server, metadata: ActorSigner(secret: secret).sign(actor()))
        XCTAssertEqual(answer, actor())
    }

    func testMissingActorIsRefused() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        await assertRefused(server, Metadata(), mentioning: "missing signed actor context")
    }

    func testTamperedActorIsRefused() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        let signed = ActorSigner(secret: secret).sign(actor())
        // Same signature, but the actor now claims to be an admin.
        var forged = actor()
        forged.role = .admin
        var tampered = Metadata()
        tampered.add("x-xsc-actor-bin", binary: forged.serializedBytes())
        tampered.add("x-xsc-actor-sig-bin", binary: signed.binary("x-xsc-actor-sig-bin") ?? [])
        await assertRefused(server, tampered, mentioning: "invalid actor context signature")

        var flipped = Metadata()
        var signature = signed.binary("x-xsc-actor-sig-bin") ?? []
        signature[31] ^= 1
        flipped.add("x-xsc-actor-bin", binary: signed.binary("x-xsc-actor-bin") ?? [])
        flipped.add("x-xsc-actor-sig-bin", binary: signature)
        await assertRefused(server, flipped, mentioning: "invalid actor context signature")

        var truncated = Metadata()
        truncated.add("x-xsc-actor-bin", binary: signed.binary("x-xsc-actor-bin") ?? [])
        truncated.add("x-xsc-actor-sig-bin", binary: Array(signature.prefix(16)))
        await assertRefused(server, truncated, mentioning: "invalid actor context signature")
    }

    func testWrongSecretIsRefused() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        let other = ActorSecret(String(repeating: "x", count: 32))!
        await assertRefused(server, ActorSigner(secret: other).sign(actor()), mentioning: "invalid actor context signature")
    }

    func testExpiryAllowsOnlyTheClockSkew() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        let signer = ActorSigner(secret: secret)
        // Expired 4 s ago: inside the 5 s skew allowance.
        let lenient = try await call(server, metadata: signer.sign(actor(expiresAt: now - 4_000)))
        XCTAssertEqual(lenient.accountId, "acct-42")
        await assertRefused(server, signer.sign(actor(expiresAt: now - 6_000)), mentioning: "expired")
    }

    func testDuplicatedOrIncompleteActorsAreRefused() async throws {
        let server = try startServer()
        defer { server.shutdown() }
        let signer = ActorSigner(secret: secret)
        var doubled = signer.sign(actor())
        for entry in signer.sign(actor()) { doubled.add(entry) }
        await assertRefused(server, doubled, mentioning: "exactly one")

        var onlyActor = Metadata()
        onlyActor.add("x-xsc-actor-bin", binary: actor().serializedBytes())
        await assertRefused(server, onlyActor, mentioning: "exactly one")

        var anonymous = actor()
        anonymous.accountId = ""
        await assertRefused(server, signer.sign(anonymous), mentioning: "incomplete")

        // Signed garbage: the signature is right, the bytes are not a protobuf.
        var garbage = Metadata()
        let junk: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        garbage.add("x-xsc-actor-bin", binary: junk)
        garbage.add("x-xsc-actor-sig-bin", binary: ActorCredentials.signature(of: junk, audience: nil, key: ActorKey(secret)))
        await assertRefused(server, garbage, mentioning: "malformed")
    }

    func testHealthAndExemptMethodsNeedNoActor() async throws {
        let server = try startServer(exempt: [WhoAmIService.openPath])
        defer { server.shutdown() }
        let channel = RPCChannel(host: "127.0.0.1", port: server.port)
        defer { channel.close() }
        let health: Grpc_Health_V1_HealthCheckResponse = try await channel.unary(
            path: "/grpc.health.v1.Health/Check", request: Grpc_Health_V1_HealthCheckRequest())
        XCTAssertEqual(health.status, .serving)
        let open = try await call(server, path: WhoAmIService.openPath, metadata: Metadata())
        XCTAssertEqual(open.accountId, "")
        // Exempt means not verified at all: even a valid actor is not handed to the handler.
        let unverified = try await call(server, path: WhoAmIService.openPath,
                                        metadata: ActorSigner(secret: secret).sign(actor()))
        XCTAssertEqual(unverified.accountId, "", "exempt methods skip verification entirely")
    }

    func testMintedActorsVerify() throws {
        let metadata = ActorMint.mint(secret: secret, accountID: "loadtest", role: ActorMint.role(named: "ROLE_STAFF")!,
                                      teamPath: "/qa", lifetime: .seconds(600), now: now)
        let verifier = ActorVerifier(secret: secret, clock: { [now] in now + 599_000 })
        let actor = try verifier.verify(metadata)
        XCTAssertEqual(actor.accountID, "loadtest")
        XCTAssertEqual(actor.role, .staff)
        XCTAssertEqual(actor.expiresAtMs, now + 600_000)
        XCTAssertEqual(actor.requestID.count, 32)
        XCTAssertNotEqual(ActorMint.randomRequestID(), ActorMint.randomRequestID())
        let lines = ActorMint.headerLines(metadata)
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("x-xsc-actor-bin: "))
        XCTAssertTrue(lines[1].hasPrefix("x-xsc-actor-sig-bin: "))
        XCTAssertNil(ActorMint.role(named: "root"))
    }

    /// Pins the MAC input format against an independent implementation (Python's hmac module:
    /// hmac.new(b"k" * 32, b"xsc-actor-v1\x00" + b"\x0a\x03abc", hashlib.sha256)), so tools in
    /// other languages can mint actors from the documentation alone.
    func testSignatureKnownAnswer() {
        let mac = ActorCredentials.signature(of: [0x0A, 0x03] + Array("abc".utf8), audience: nil, key: ActorKey(secret))
        let hex = mac.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        XCTAssertEqual(hex, "5d164e660961749872f698bd838cf5fb28c0490c0ffcdb4971cf80ec22e1764b")
        // With an audience (what every service accepts): hmac.new(b"k" * 32,
        // b"xsc-actor-v2\x00orders\x00" + b"\x0a\x03abc", hashlib.sha256).
        let bound = ActorCredentials.signature(of: [0x0A, 0x03] + Array("abc".utf8), audience: "orders", key: ActorKey(secret))
        let boundHex = bound.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        XCTAssertEqual(boundHex, "6d57f6339e18876475ef8189a27579420fc8394d976ea310ed710212e7cbb3b7")
    }

    func testBase64MatchesFoundation() {
        for count in 0..<8 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 77 + 3) }
            XCTAssertEqual(Base64Text.encode(bytes), Data(bytes).base64EncodedString())
        }
    }
}
