@testable import Notifications
import XSCTestSupport
import XCTest

final class SegmentCounterTests: XCTestCase {
    func testASCIIIsGSM7With160InOneAnd153PerPart() {
        XCTAssertEqual(SegmentCounter.count(""), .init(encoding: .gsm7, units: 0, segments: 1))
        XCTAssertEqual(SegmentCounter.count(String(repeating: "a", count: 160)), .init(encoding: .gsm7, units: 160, segments: 1))
        XCTAssertEqual(SegmentCounter.count(String(repeating: "a", count: 161)), .init(encoding: .gsm7, units: 161, segments: 2))
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "a", count: 306)), 2)
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "a", count: 307)), 3)
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "a", count: 459)), 3)
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "a", count: 460)), 4)
    }

    func testExtensionCharactersCountTwoAndAreNeverSplit() {
        // 80 euro signs = 160 septets: still one message.
        XCTAssertEqual(SegmentCounter.count(String(repeating: "€", count: 80)), .init(encoding: .gsm7, units: 160, segments: 1))
        XCTAssertEqual(SegmentCounter.count("{" + String(repeating: "a", count: 159)),
                       .init(encoding: .gsm7, units: 161, segments: 2))
        // 152 plain + "[": the escape pair does not fit in part 1's last septet, so it moves to part 2.
        let split = String(repeating: "a", count: 152) + "[" + String(repeating: "b", count: 152)
        XCTAssertEqual(SegmentCounter.count(split).units, 306)
        XCTAssertEqual(SegmentCounter.segments(split), 3, "153 | 2+152 = 154 > 153, so a third part")
        // GSM-only accented letters stay 7-bit; a letter outside the alphabet switches to UCS-2.
        XCTAssertEqual(SegmentCounter.count("Ça coûte 5€").encoding, .ucs2, "û is not in GSM 03.38")
        XCTAssertEqual(SegmentCounter.count("Ça va, 5€ @ Zürich").encoding, .gsm7)
    }

    func testChineseIsUCS2With70InOneAnd67PerPart() {
        XCTAssertEqual(SegmentCounter.count(String(repeating: "订", count: 70)), .init(encoding: .ucs2, units: 70, segments: 1))
        XCTAssertEqual(SegmentCounter.count(String(repeating: "订", count: 71)), .init(encoding: .ucs2, units: 71, segments: 2))
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "订", count: 134)), 2)
        XCTAssertEqual(SegmentCounter.segments(String(repeating: "订", count: 135)), 3)
    }

    func testMixedTextIsUCS2AsAWhole() {
        // One Chinese character turns 100 ASCII letters into UCS-2: 101 units, 2 parts.
        let mixed = String(repeating: "a", count: 100) + "单"
        XCTAssertEqual(SegmentCounter.count(mixed), .init(encoding: .ucs2, units: 101, segments: 2))
        XCTAssertEqual(SegmentCounter.count("【XSC重庆】新订单A7K2：五粮液2箱，请5分钟内回复1确认。").segments, 1)
    }

    func testEmojiTakeTwoUnitsAndAreNeverSplit() {
        XCTAssertEqual(SegmentCounter.count("👍").units, 2)
        XCTAssertEqual(SegmentCounter.count(String(repeating: "👍", count: 35)), .init(encoding: .ucs2, units: 70, segments: 1))
        XCTAssertEqual(SegmentCounter.count(String(repeating: "👍", count: 36)).segments, 2)
        // 66 units then an emoji: the pair would straddle 67, so it opens part 2.
        let straddle = String(repeating: "好", count: 66) + "👍" + String(repeating: "好", count: 66)
        XCTAssertEqual(SegmentCounter.count(straddle).units, 134)
        XCTAssertEqual(SegmentCounter.segments(straddle), 3, "66 | 2+65 | 1")
    }
}
