@testable import Customers
import XCTest

/// The pure rules: near-duplicate keys and transpositions, referral codes.
final class RulesTests: XCTestCase {
    func testNearDuplicateKeysIgnoreSpacingCaseAndPunctuation() {
        XCTAssertEqual(NearDuplicateRules.key(" 重庆市 渝中区，解放碑1号 "), NearDuplicateRules.key("重庆市渝中区解放碑1号"))
        XCTAssertEqual(NearDuplicateRules.key("Wang Li"), NearDuplicateRules.key("wangli"))
        XCTAssertNotEqual(NearDuplicateRules.key("解放碑1号"), NearDuplicateRules.key("解放碑2号"))
    }

    func testTranspositionsSwapNeighbouringDifferentDigitsOnly() {
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "1234"), ["2134", "1324", "1243"])
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "1100"), ["1010"])
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "13800138000").count, 7)
        XCTAssertFalse(NearDuplicateRules.transpositions(of: "13812345678").contains("13812345678"))
    }

    func testReferralCodesAreShortUnambiguousAndForgiving() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let code = ReferralCodeRules.make(using: &generator)
            XCTAssertEqual(code.count, 6)
            XCTAssertTrue(code.allSatisfy { !"01OIL".contains($0) }, code)
            XCTAssertEqual(ReferralCodeRules.normalise(code.lowercased()), code)
        }
        XCTAssertEqual(ReferralCodeRules.normalise(" k7m-2qx "), "K7M2QX")
        XCTAssertNil(ReferralCodeRules.normalise("K7M2Q0"))
        XCTAssertNil(ReferralCodeRules.normalise("K7M2Q"))
        XCTAssertNil(ReferralCodeRules.normalise("019f3a2c-aaaa-7000-8000-000000000000"))
    }

    func testTheRegionOfATeamPaysItsSMS() {
        XCTAssertEqual(TeamMember.regionCode(of: "/hq/cq/cq-o1/cq-o1-d3/t7"), "cq")
    }
}
