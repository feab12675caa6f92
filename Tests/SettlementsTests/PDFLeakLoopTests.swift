import Foundation
import Messages
@testable import Settlements
import XCTest

/// Renders statement PDFs in a loop; as a plain test a short smoke run. Under valgrind (as
/// scripts/leak-check.sh runs its loops, XSC_LEAK_LOOP_ITERATIONS raised) the wrapper's own
/// objects (surface, context, layout, font descriptions) are all freed; what stays "definitely
/// lost" is fontconfig's and Pango's one-time caches and, per document, two 768-byte blocks
/// inside Debian 12's cairo 1.16 (`cairo_surface_finish`, the PDF font subsetting): 1 and 6
/// documents gave 2 and 12 such blocks. leak-check.sh suppresses exactly those
/// (scripts/valgrind/cairo-pango.supp); with the layout's unref removed from the wrapper it fails.
final class PDFLeakLoopTests: XCTestCase {
    func testRenderingFreesWhatItAllocates() throws {
        let iterations = Int(ProcessInfo.processInfo.environment["XSC_LEAK_LOOP_ITERATIONS"] ?? "") ?? 2
        var statement = Xsc_Settlements_V1_Statement()
        statement.week = "2026-W49"
        statement.payeeName = "李小龙"
        statement.lines = (0..<80).map { index in
            var line = Xsc_Settlements_V1_StatementLine()
            line.kind = .reward
            line.orderCode = "CQ\(index)"
            line.amountFen = 384
            return line
        }
        for _ in 0..<iterations {
            let bytes = try StatementPrinter.pdf(StatementDocument.table(statement))
            XCTAssertGreaterThan(bytes.count, 1000)
        }
    }
}
