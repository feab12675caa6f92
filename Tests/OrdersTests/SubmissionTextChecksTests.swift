@testable import Orders
import XCTest

/// The byte-level fast paths of `SubmissionValidation` must decide exactly as the Unicode
/// definitions they shortcut: ids (length in Characters, no whitespace or newline) and control
/// characters (general category Cc).
final class SubmissionTextChecksTests: XCTestCase {
    private let samples: [String] = [
        "", "a", "mall-order-001", "with space", "tab\there", "new\nline", "cr\r\n", "\u{85}next-line", "nbsp\u{A0}x",
        "ideographic\u{3000}space", "订单-123", "e\u{301}", String(repeating: "x", count: 64), String(repeating: "x", count: 65),
        String(repeating: "订", count: 64), String(repeating: "订", count: 65), String(repeating: "e\u{301}", count: 64),
        "del\u{7F}", "c1\u{80}", "c1\u{9F}", "latin1\u{A9}", "zero\u{0}", "bell\u{7}", "王小明", "重庆市渝北区\u{200B}",
        "emoji🐘", "\u{2028}", "\u{FEFF}bom",
    ]

    func testPlainIDMatchesTheCharacterDefinition() {
        for sample in samples {
            let expected = sample.count <= SubmissionLimits.idLength && !sample.contains { $0.isWhitespace || $0.isNewline }
            XCTAssertEqual(SubmissionValidation.isPlainID(sample), expected, sample.debugDescription)
        }
    }

    func testControlCharactersMatchTheGeneralCategory() {
        for sample in samples {
            let expected = sample.unicodeScalars.contains { $0.properties.generalCategory == .control }
            XCTAssertEqual(SubmissionValidation.hasControlCharacter(sample), expected, sample.debugDescription)
        }
        for value in UInt32(0)...0x2FF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "a" + String(Character(scalar))
            XCTAssertEqual(SubmissionValidation.hasControlCharacter(text), scalar.properties.generalCategory == .control,
                           "U+\(String(value, radix: 16))")
        }
    }
}
