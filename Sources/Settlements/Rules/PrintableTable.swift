/// A printable document as text (no I/O): a title, label/value header pairs, a table whose
/// last `numericColumns` columns are amounts (right-aligned in print), totals and a signature
/// line. The CSV writes it as rows; StatementPrinter lays it out on A4 pages.
struct PrintableTable: Sendable, Equatable {
    var title: String
    var header: [(String, String)]
    var columns: [String]
    var rows: [[String]]
    var totals: [(String, String)]
    var signature: String
    var numericColumns = 2

    static func == (lhs: PrintableTable, rhs: PrintableTable) -> Bool {
        lhs.title == rhs.title && lhs.columns == rhs.columns && lhs.rows == rhs.rows && lhs.signature == rhs.signature
            && lhs.header.map { [$0.0, $0.1] } == rhs.header.map { [$0.0, $0.1] }
            && lhs.totals.map { [$0.0, $0.1] } == rhs.totals.map { [$0.0, $0.1] }
    }

    /// RFC 4180 CSV, UTF-8 with a BOM so spreadsheet programs read the Chinese right.
    func csv() -> [UInt8] {
        var lines: [[String]] = [[title]] + header.map { [$0.0, $0.1] }
        lines.append([])
        lines.append(columns)
        lines += rows
        lines.append([])
        lines += totals.map { [$0.0, $0.1] }
        lines.append([signature])
        let text = lines.map { $0.map(Self.field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
        return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
    }

    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
