/// A plain-text table for the terminal: a header of upper-case column names, then one line per
/// row, columns two spaces apart and aligned by display width (Chinese takes two columns).
struct Table {
    let columns: [String]
    private(set) var rows: [[String]] = []
    /// The widest a cell may be before it is cut (an address, a follow-up's content).
    var cellLimit = 40

    init(_ columns: String...) {
        self.columns = columns
    }

    mutating func add(_ cells: String...) {
        rows.append(cells)
    }

    func rendered() -> String {
        let cleanRows = rows.map { $0.map { TextWidth.cell($0, limit: cellLimit) } }
        let header = columns.map { $0.uppercased() }
        var widths = header.map(TextWidth.of)
        for row in cleanRows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], TextWidth.of(cell))
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let last = index == cells.count - 1
                parts.append(last ? cell : TextWidth.padded(cell, to: widths[index]))
            }
            return parts.joined(separator: "  ")
        }
        return ([line(header)] + cleanRows.map(line)).joined(separator: "\n")
    }
}

/// Label: value lines of one object (`show` commands), labels aligned.
struct Fields {
    private(set) var items: [(String, String)] = []

    mutating func add(_ label: String, _ value: String) {
        items.append((label, value))
    }

    /// Adds the line only when `value` is not empty.
    mutating func addIfAny(_ label: String, _ value: String) {
        if !value.isEmpty { add(label, value) }
    }

    func rendered() -> String {
        let width = items.map { TextWidth.of($0.0) }.max() ?? 0
        return items.map { label, value in
            let clean = value.split(separator: "\n", omittingEmptySubsequences: false)
                .map { TextWidth.cell(String($0), limit: 500) }
                .joined(separator: "\n" + String(repeating: " ", count: width + 2))
            return TextWidth.padded(label + ":", to: width + 1) + " " + clean
        }.joined(separator: "\n")
    }
}
