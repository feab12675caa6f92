import Messages
import PDF

/// The printed statement (A4, Chinese): title, header, the sales and reward lines (as many
/// pages as they need, the column heads repeated), totals, and the regional manager's
/// signature line. Same rows as the CSV (StatementDocument).
enum StatementPrinter {
    static let margin = 48.0
    static let columnX: [Double] = [48, 220, 300, 340, 440]
    static let columnWidth: [Double] = [170, 80, 40, 100, 107]
    static let rowHeight = 16.0

    static func pdf(_ statement: Xsc_Settlements_V1_Statement) throws -> [UInt8] {
        let document = try PDFDocument()
        var y = margin
        y += document.text(StatementDocument.title(statement), x: margin, y: y, size: 16, bold: true) + 10
        for pair in StatementDocument.header(statement) {
            document.text(pair[0], x: margin, y: y, size: 10, bold: true)
            document.text(pair[1], x: margin + 80, y: y, size: 10)
            y += rowHeight
        }
        y += 8
        y = columnHeads(document, y: y)
        for row in StatementDocument.lineRows(statement) {
            if y > document.height - margin - rowHeight * 6 {
                document.newPage()
                y = columnHeads(document, y: margin)
            }
            cells(document, row, y: y, size: 9)
            y += rowHeight
        }
        document.line(x1: margin, y1: y + 2, x2: document.width - margin, y2: y + 2)
        y += 10
        for pair in StatementDocument.totals(statement) {
            document.text(pair[0], x: columnX[3], y: y, size: 11, bold: true)
            document.text(pair[1], x: columnX[4], y: y, size: 11, bold: true, boxWidth: columnWidth[4], alignment: .right)
            y += rowHeight + 2
        }
        y += 24
        document.text(StatementDocument.signatureLine(statement), x: margin, y: y, size: 11)
        return try document.finish()
    }

    private static func columnHeads(_ document: PDFDocument, y: Double) -> Double {
        cells(document, StatementDocument.lineColumns, y: y, size: 10, bold: true)
        document.line(x1: margin, y1: y + rowHeight, x2: document.width - margin, y2: y + rowHeight)
        return y + rowHeight + 4
    }

    private static func cells(_ document: PDFDocument, _ row: [String], y: Double, size: Double, bold: Bool = false) {
        for (index, cell) in row.enumerated() where index < columnX.count {
            let numeric = index >= 3
            document.text(cell, x: columnX[index], y: y, size: size, bold: bold, boxWidth: columnWidth[index],
                          alignment: numeric ? .right : .left)
        }
    }
}
