@testable import Customers
import DomainKit
import XCTest

/// The pure rules: near-duplicate keys and transpositions, referral codes.
final class RulesTests: XCTestCase {
    func testNearDuplicateKeysIgnoreSpacingCaseAndPunctuation() {
        XCTAssertEqual(NearDuplicateRules.key(" 重庆市 渝中区，解放碑1号 "), NearDuplicateRules.key("重庆市渝中区解放碑1号"))
        XCTAssertEqual(NearDuplicateRules.key("Wang Li"), NearDuplicateRules.key("wangli"))
        XCTAssertNotEqual(NearDuplicateRules.key("解放碑1号"), NearDuplicateRules.key("解放碑2号"))
    }

    /// The byte-wise key gives what the Character-wise definition gives, and leaves text it
    /// does not cover (accents, combining marks, other scripts) to that definition.
    func testTheFastNearDuplicateKeyEqualsTheCharacterWiseOne() {
        func reference(_ text: String) -> String {
            String(text.lowercased().filter { !$0.isWhitespace && !NearDuplicateRules.dropped.contains($0) })
        }
        let texts = [" 重庆市 渝中区，解放碑1号 ", "Wang Li", "ＷＡＮＧ　Ｌｉ（小王）＃３", "a-b.c,d(e)f#g", "重庆市\r\n渝中区\t1号",
                     "《解放碑》【1】号", "~!@$%^&*_+=[]{}|;:'\"<>?/`", "𠀀路", "Café", "e\u{301}", "İstanbul", "한국", "Ω", "🙂",
                     ",\u{301}", " \u{301}", "解放碑\u{302A}", "", "   "]
        for text in texts { XCTAssertEqual(NearDuplicateRules.key(text), reference(text), text) }
        XCTAssertNotNil(NearDuplicateRules.simpleKey("ＷＡＮＧ　Ｌｉ（小王）＃３"))
        XCTAssertNil(NearDuplicateRules.simpleKey("Café"), "outside the ranges: the Character-wise definition")
        XCTAssertNil(NearDuplicateRules.simpleKey("解放碑\u{302A}"), "an ideographic tone mark extends its neighbour")
    }

    func testTranspositionsSwapNeighbouringDifferentDigitsOnly() {
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "1234"), ["2134", "1324", "1243"])
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "1100"), ["1010"])
        XCTAssertEqual(NearDuplicateRules.transpositions(of: "13800138000").count, 7)
        XCTAssertFalse(NearDuplicateRules.transpositions(of: "13812345678").contains("13812345678"))
    }

    func testByteWiseTranspositionsEqualTheCharacterWiseOnes() {
        for digits in ["", "1", "12", "11", "13800138000", "02361234567", "13900000012", "98765432100", "12121212121", "1\u{301}2"] {
            XCTAssertEqual(NearDuplicateRules.transpositions(of: digits), NearDuplicateRules.characterTranspositions(of: digits), digits)
        }
    }

    /// The swaps the import looks up are exactly those that `MainlandPhone` would store, so
    /// dropping the others loses no look-alike.
    func testStorableTranspositionsAreTheSwapsMainlandPhoneWouldStore() {
        var phones = ["13800138000", "13900000012", "18367956789", "13012345678", "19912345678", "15000000000",
                      "01012345678", "02361234567", "075512345678", "0755123456", "03101234567", "02010000000", "01101234567"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let mobile = "1" + String("3456789".randomElement(using: &generator)!) + String((0..<9).map { _ in "0123456789".randomElement(using: &generator)! })
            phones.append(mobile)
            let landline = "0" + String((0..<Int.random(in: 9...11, using: &generator)).map { _ in "0123456789".randomElement(using: &generator)! })
            if MainlandPhone(landline)?.digits == landline { phones.append(landline) }
        }
        var dropped = 0
        for phone in phones {
            let all = NearDuplicateRules.transpositions(of: phone)
            let expected = all.filter { MainlandPhone($0)?.digits == $0 }
            XCTAssertEqual(NearDuplicateRules.storableTranspositions(of: phone), expected, phone)
            dropped += all.count - expected.count
        }
        XCTAssertGreaterThan(dropped, phones.count / 2, "a mobile's first two digits swapped is never a phone")
        XCTAssertEqual(NearDuplicateRules.storableTranspositions(of: "18367956789").first, "13867956789")
    }

    func testTheFastLetterCheckAgreesWithCharacterIsLetter() {
        let samples = ["张三", "123", "A1", "1a", "-_-", "１２３", "ｂ", "e\u{301}", "\u{301}", "1\u{301}", "12\u{20DD}", "😀", "١٢٣",
                       "Ω", "3ä", "  ", "", "公司2号", "((1))", "\u{200D}中", "x\u{200D}1", "ŉ", "Ⅻ", "〇"]
        for text in samples {
            XCTAssertEqual(CustomerValidation.hasLetter(text), text.contains(where: { $0.isLetter }), text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
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
