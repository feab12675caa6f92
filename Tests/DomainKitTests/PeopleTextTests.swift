import DomainKit
import XCTest

final class PeopleTextTests: XCTestCase {
    func testTrimsEveryKindOfSpace() {
        XCTAssertEqual("\u{3000} 重庆 渝中区\u{00A0}\t\n".trimmedForPeople, "重庆 渝中区")
        XCTAssertEqual("\u{200B}张三\u{FEFF}".trimmedForPeople, "张三")
        XCTAssertEqual(" \u{3000} ".trimmedForPeople, "")
    }

    /// The trimmed set is spelled out in DomainKit (no table lookup per field): it must be
    /// exactly Unicode's White_Space plus the two zero-width marks, for every scalar.
    func testTrimsExactlyUnicodeWhiteSpaceAndZeroWidthMarks() {
        var wrong: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let expected = scalar.properties.isWhitespace || value == 0x200B || value == 0xFEFF
            let trimmed = (String(scalar) + "x").trimmedForPeople == "x"
            if trimmed != expected { wrong.append(String(value, radix: 16)) }
        }
        XCTAssertEqual(wrong, [])
    }

    func testRefusesWhatNoPersonTypes() {
        let cases: [(String, String)] = [
            ("张\u{0}三", "control character"), ("张\u{7}三", "control character"), ("张\u{85}三", "control character"),
            ("张\n三", "one line"), ("张\u{FFFD}三", "wrong encoding"), ("张\u{202E}三", "invisible"),
            ("张\u{E000}三", "private-use"),
        ]
        for (text, expected) in cases {
            let problem = PeopleText.problem(with: text, maxLength: 50)
            XCTAssertTrue(problem?.contains(expected) == true, "\(text.debugDescription): \(problem ?? "nil")")
        }
        XCTAssertNil(PeopleText.multilineProblem(with: "第一行\n第二行\t好", maxLength: 50))
        XCTAssertEqual(PeopleText.problem(with: "", maxLength: 5), "required")
        XCTAssertNil(PeopleText.problem(with: "", required: false, maxLength: 5))
        XCTAssertEqual(PeopleText.problem(with: "一二三四五六", maxLength: 5), "too long: at most 5 characters (got 6)")
        XCTAssertNil(PeopleText.problem(with: "O'Brien & 李四 (采购)", maxLength: 50))
    }
}
