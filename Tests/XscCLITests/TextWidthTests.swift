import XCTest
@testable import XscCLI

final class TextWidthTests: XCTestCase {
    func testChineseTakesTwoColumnsAndCombiningMarksNone() {
        XCTAssertEqual(TextWidth.of("张三"), 4)
        XCTAssertEqual(TextWidth.of("abc"), 3)
        XCTAssertEqual(TextWidth.of("¥562.00"), 7)
        XCTAssertEqual(TextWidth.of("e\u{301}"), 1, "a combining accent adds no column")
        XCTAssertEqual(TextWidth.of("（全角）"), 8, "fullwidth punctuation is wide")
        XCTAssertEqual(TextWidth.of("👍"), 2)
    }

    func testCellsLoseControlCharactersAndAreCutWithAnEllipsis() {
        XCTAssertEqual(TextWidth.cell("red\u{1B}[31mtext", limit: 40), "red [31mtext", "no escape reaches the terminal")
        XCTAssertEqual(TextWidth.cell("line one\nline two", limit: 40), "line one line two")
        XCTAssertEqual(TextWidth.cell("重庆市渝中区解放碑", limit: 7), "重庆市…")
        XCTAssertEqual(TextWidth.of(TextWidth.cell("重庆市渝中区解放碑", limit: 8)), 7, "never wider than the limit")
        XCTAssertEqual(TextWidth.cell("short", limit: 5), "short")
    }

    func testTableColumnsLineUpByDisplayWidth() {
        var table = Table("name", "phone")
        table.add("周先生", "13700000001")
        table.add("Li", "13700000002")
        let lines = table.rendered().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "NAME    PHONE")
        XCTAssertEqual(lines[1], "周先生  13700000001")
        XCTAssertEqual(lines[2], "Li      13700000002")
    }

    func testFieldsAlignLabelsAndIndentFollowingLines() {
        var fields = Fields()
        fields.add("state", "received")
        fields.add("text", "第一行\n第二行")
        fields.addIfAny("empty", "")
        XCTAssertEqual(fields.rendered(), "state: received\ntext:  第一行\n       第二行")
    }
}
