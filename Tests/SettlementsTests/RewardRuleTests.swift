@testable import Settlements
import XCTest

/// The reward arithmetic, stated once in RewardCalculation: per-unit exact, percent once per
/// order rounded half away from zero (Fen.share), level 2 a share of level 1.
final class RewardRuleTests: XCTestCase {
    func rule(_ bp: Int64, perUnit: [String: Int64] = [:], level2: Int64 = 0) -> RewardRuleSet {
        RewardRuleSet(regionID: "cq", version: 1, effectiveFromMillis: 0, percentBasisPoints: bp, perUnitFen: perUnit,
                      level2BasisPoints: level2)
    }

    func testPercentRoundsHalfAwayFromZeroOncePerOrder() {
        // 3.5% of 1,001 fen = 35.035 -> 35; of 1,010 = 35.35 -> 35; of 1,300 = 45.5 -> 46.
        let cases: [(Int64, Int64)] = [(1_001, 35), (1_010, 35), (1_300, 46), (0, 0)]
        for (sales, expected) in cases {
            XCTAssertEqual(RewardCalculation.reward(for: [SoldLine(skuID: "x", actualQuantity: 1, actualFen: sales)], rule: rule(350)).level1Fen,
                           expected, "\(sales)")
        }
        // Two lines of 650 fen: 3.5% of 1,300 taken once = 46, not 23 + 23.
        let split = [SoldLine(skuID: "a", actualQuantity: 1, actualFen: 650), SoldLine(skuID: "b", actualQuantity: 1, actualFen: 650)]
        XCTAssertEqual(RewardCalculation.reward(for: split, rule: rule(350)).level1Fen, 46)
    }

    func testPerUnitIsExactAndPercentCoversTheRest() {
        let lines = [SoldLine(skuID: "bj-500", actualQuantity: 3, actualFen: 38_400),
                     SoldLine(skuID: "bj-250", actualQuantity: 1, actualFen: 6_800)]
        let reward = RewardCalculation.reward(for: lines, rule: rule(300, perUnit: ["bj-500": 500], level2: 1000))
        XCTAssertEqual(reward.salesFen, 45_200)
        XCTAssertEqual(reward.level1Fen, 1_500 + 204)
        XCTAssertEqual(reward.level2Fen, 170)  // 10% of 1,704 = 170.4 -> 170
    }

    func testLevelTwoRoundsHalfUp() {
        // 10% of 1,705 = 170.5 -> 171.
        let reward = RewardCalculation.reward(for: [SoldLine(skuID: "bj-500", actualQuantity: 1, actualFen: 0)],
                                              rule: rule(0, perUnit: ["bj-500": 1_705], level2: 1000))
        XCTAssertEqual(reward.level2Fen, 171)
    }

    func testRegionOfPath() {
        XCTAssertEqual(SettlementRoles.region(ofPath: "/hq/cq/cq-o1"), "cq")
        XCTAssertEqual(SettlementRoles.region(ofPath: "/hq/cq"), "cq")
        XCTAssertNil(SettlementRoles.region(ofPath: "/hq"))
        XCTAssertNil(SettlementRoles.region(ofPath: "/dealers/d1"))
    }

    func testCSVQuotesAndTotals() {
        var statement = Messages.Xsc_Settlements_V1_Statement()
        statement.week = "2026-W49"
        statement.payeeName = "张三, 中间人"
        statement.totalFen = 1_234
        statement.payableFen = 1_234
        let text = String(decoding: StatementDocument.table(statement).csv().dropFirst(3), as: UTF8.self)
        XCTAssertTrue(text.contains("\"张三, 中间人 ()\""), text)
        XCTAssertTrue(text.contains("合计,¥12.34"), text)
    }
}

import Messages
