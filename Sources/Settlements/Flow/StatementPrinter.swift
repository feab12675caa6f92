import PDF

/// Lays a PrintableTable out on A4 pages in Chinese (Noto Sans CJK, embedded): title, header,
/// the table over as many pages as it needs (column heads repeated), totals, signature line.
enum StatementPrinter {
    static let margin = 48.0
    static let rowHeight = 16.0

    static func pdf(_ table: PrintableTable) throws -> [UInt8] {
        let document = try PDFDocument()
        let usable = document.width - 2 * margin
        // Text columns share 60% of the width, amount columns 40%.
        let numeric = min(table.numericColumns, table.columns.count)
        let text = table.columns.count - numeric
        var widths: [Double] = Array(repeating: text > 0 ? usable * 0.6 / Double(text) : 0, count: text)
        widths += Array(repeating: numeric > 0 ? usable * (text > 0 ? 0.4 : 1) / Double(numeric) : 0, count: numeric)
        var xs: [Double] = []
        var x = margin
        for width in widths { xs.append(x); x += width }

        func cells(_ row: [String], y: Double, size: Double, bold: Bool = false) {
            for (index, cell) in row.enumerated() where index < xs.count {
                document.text(cell, x: xs[index], y: y, size: size, bold: bold, boxWidth: widths[index] - 4,
                              alignment: index >= text ? .right : .left)
            }
        }
        func heads(_ y: Double) -> Double {
            cells(table.columns, y: y, size: 10, bold: true)
            document.line(x1: margin, y1: y + rowHeight, x2: document.width - margin, y2: y + rowHeight)
            return y + rowHeight + 4
        }

        var y = margin
        y += document.text(table.title, x: margin, y: y, size: 16, bold: true) + 10
        for (label, value) in table.header {
            document.text(label, x: margin, y: y, size: 10, bold: true)
            document.text(value, x: margin + 80, y: y, size: 10)
            y += rowHeight
        }
        y = heads(y + 8)
        for row in table.rows {
            if y > document.height - margin - rowHeight * 6 {
                document.newPage()
                y = heads(margin)
            }
            cells(row, y: y, size: 9)
            y += rowHeight
        }
        document.line(x1: margin, y1: y + 2, x2: document.width - margin, y2: y + 2)
        y += 10
        for (label, value) in table.totals {
            document.text(label, x: margin + usable * 0.5, y: y, size: 11, bold: true)
            document.text(value, x: margin + usable * 0.7, y: y, size: 11, bold: true, boxWidth: usable * 0.3 - 4, alignment: .right)
            y += rowHeight + 2
        }
        document.text(table.signature, x: margin, y: y + 24, size: 11)
        return try document.finish()
    }
}
