import XCTest
@testable import Gateway

final class TokenBucketTests: XCTestCase {
    func testBurstThenRefusedWithRetryDelay() {
        let buckets = TokenBuckets(limits: .init(burst: 3, ratePerSecond: 2))
        for _ in 0..<3 { XCTAssertEqual(buckets.take("a", nowMs: 0), .allowed) }
        XCTAssertEqual(buckets.take("a", nowMs: 0), .refused(retryAfterMs: 500))
        // Other callers have their own bucket.
        XCTAssertEqual(buckets.take("b", nowMs: 0), .allowed)
    }

    func testRefillsAtRateAndNeverAboveBurst() {
        let buckets = TokenBuckets(limits: .init(burst: 2, ratePerSecond: 10))
        XCTAssertEqual(buckets.take("a", nowMs: 0), .allowed)
        XCTAssertEqual(buckets.take("a", nowMs: 0), .allowed)
        XCTAssertEqual(buckets.take("a", nowMs: 100), .allowed)
        XCTAssertNotEqual(buckets.take("a", nowMs: 100), .allowed)
        // A long idle time refills to the burst only.
        var allowed = 0
        for _ in 0..<10 where buckets.take("a", nowMs: 60_000) == .allowed { allowed += 1 }
        XCTAssertEqual(allowed, 2)
    }

    func testAcceptedCountIsBoundedByBurstPlusRateTimesTime() {
        let buckets = TokenBuckets(limits: .init(burst: 5, ratePerSecond: 20))
        var accepted = 0
        for now in stride(from: Int64(0), through: 2000, by: 1) {
            for _ in 0..<3 where buckets.take("k", nowMs: now) == .allowed { accepted += 1 }
        }
        XCTAssertEqual(accepted, 5 + 20 * 2)
    }
}

/// XSC_GATEWAY_REPLICAS: each replica's buckets hold its share of the configured limits.
final class GatewaySettingsLimitTests: XCTestCase {
    func testReplicasShareTheConfiguredLimits() {
        let (settings, problems) = GatewaySettings.load(["XSC_RATE_BURST": "60", "XSC_RATE_PER_SECOND": "30",
                                                         "XSC_GATEWAY_REPLICAS": "3"])
        XCTAssertEqual(problems, [])
        XCTAssertEqual(settings.rateLimits, TokenBuckets.Limits(burst: 60, ratePerSecond: 30))
        XCTAssertEqual(settings.replicaLimits, TokenBuckets.Limits(burst: 20, ratePerSecond: 10))
        XCTAssertEqual(GatewaySettings.load([:]).0.replicaLimits, GatewaySettings().rateLimits)
    }

    func testANonsenseReplicaCountIsReported() {
        let problems = GatewaySettings.load(["XSC_GATEWAY_REPLICAS": "0"]).1
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].contains("XSC_GATEWAY_REPLICAS"), problems[0])
    }
}
