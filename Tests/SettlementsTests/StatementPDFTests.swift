import Foundation
import Messages
@testable import Settlements
import XCTest

/// The printed statement: poppler's pdftotext must find the Chinese payee name, the order codes
/// and the totals; pdffonts must list only embedded fonts.
final class StatementPDFTests: XCTestCase {
    func statement(lines count: Int) -> Xsc_Settlements_V1_Statement {
        var statement = Xsc_Settlements_V1_Statement()
        statement.statementId = "st-1"
        statement.week = "2026-W49"
        statement.regionId = "cq"
        statement.dealerAccountId = "dealer-1"
        statement.payeeAccountId = "ref-1"
        statement.payeeName = "李小龙"
        statement.state = .signed
        statement.signedByAccountId = "rm-cq"
        statement.lines = (0..<count).map { index in
            var line = Xsc_Settlements_V1_StatementLine()
            line.kind = index == 0 ? .clawback : .reward
            line.level = 1
            line.orderCode = "CQ\(100_000 + index)"
            line.salesFen = 12_800
            line.amountFen = index == 0 ? -384 : 384
            return line
        }
        statement.totalFen = Int64(count - 2) * 384
        statement.payableFen = statement.totalFen
        return statement
    }

    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool) failed")
        return String(decoding: data, as: UTF8.self)
    }

    func testChineseTextTotalsAndEmbeddedFonts() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/pdftotext") else {
            throw XCTSkip("poppler-utils missing (scripts/install-deps.sh installs it)")
        }
        let bytes = try StatementPrinter.pdf(StatementDocument.table(statement(lines: 120)))
        XCTAssertEqual(Array(bytes.prefix(5)), Array("%PDF-".utf8))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString).pdf").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try run("pdftotext", ["-layout", path, "-"])
        XCTAssertTrue(text.contains("李小龙"), text)
        XCTAssertTrue(text.contains("中间人奖励结算单"), text)
        XCTAssertTrue(text.contains("CQ100119"), "the last line, on a later page")
        XCTAssertTrue(text.contains("¥453.12"), "the total 118 x 3.84 yuan")
        XCTAssertTrue(text.contains("片区经理签字"), text)
        let fonts = try run("pdffonts", [path])
        let rows = fonts.split(separator: "\n").dropFirst(2)
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            XCTAssertTrue(row.contains(" yes "), "font not embedded: \(row)")
        }
        let pages = try run("pdfinfo", [path]).split(separator: "\n").first { $0.hasPrefix("Pages:") }
        XCTAssertNotEqual(pages?.split(separator: " ").last, "1")
    }
}
