import XCTest
@testable import Gateway

final class CredentialCacheTests: XCTestCase {
    private func staff(_ account: String, expiresAtMs: Int64 = 10_000) -> Caller {
        .staff(StaffSession(accountID: account, role: .salesperson, nodePath: "/hq/a", tokenSHA256: [1], expiresAtMs: expiresAtMs))
    }

    func testHitWithinLifetimeMissAfter() {
        let cache = CredentialCache(lifetimeMs: 2000)
        cache.store(staff("a"), for: [1], nowMs: 0)
        XCTAssertEqual(cache.caller(for: [1], nowMs: 1999, wallNowMs: 0), staff("a"))
        XCTAssertNil(cache.caller(for: [1], nowMs: 2000, wallNowMs: 0))
    }

    func testNeverPastTheSessionExpiry() {
        let cache = CredentialCache(lifetimeMs: 60_000)
        cache.store(staff("a", expiresAtMs: 5000), for: [1], nowMs: 0)
        XCTAssertNil(cache.caller(for: [1], nowMs: 1, wallNowMs: 5000))
    }

    func testForgettingByTokenAccountAndKey() {
        let cache = CredentialCache(lifetimeMs: 60_000)
        cache.store(staff("a"), for: [1], nowMs: 0)
        cache.store(staff("a"), for: [2], nowMs: 0)
        cache.store(staff("b"), for: [3], nowMs: 0)
        cache.store(.partner(PartnerCredential(keyID: "k", partnerID: "p", channel: "mall")), for: [4], nowMs: 0)
        cache.forget(tokenHash: [3])
        XCTAssertNil(cache.caller(for: [3], nowMs: 1, wallNowMs: 0))
        cache.forget(accountID: "a")
        XCTAssertNil(cache.caller(for: [1], nowMs: 1, wallNowMs: 0))
        XCTAssertNil(cache.caller(for: [2], nowMs: 1, wallNowMs: 0))
        XCTAssertNotNil(cache.caller(for: [4], nowMs: 1, wallNowMs: 0))
        cache.forget(keyID: "k")
        XCTAssertNil(cache.caller(for: [4], nowMs: 1, wallNowMs: 0))
    }

    func testZeroLifetimeCachesNothing() {
        let cache = CredentialCache(lifetimeMs: 0)
        cache.store(staff("a"), for: [1], nowMs: 0)
        XCTAssertNil(cache.caller(for: [1], nowMs: 0, wallNowMs: 0))
    }
}
