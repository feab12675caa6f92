/// A result column: its name and the OID of its type.
public struct PostgresColumn: Sendable, Hashable {
    public var name: String
    public var typeOID: UInt32
}

/// The rows of one statement, copied out of libpq into Swift memory (so they outlive the
/// PGresult and may cross threads). Cells are in binary format.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// Everything in one immutable object: results are copied several times on their way to
    /// the caller (outcome, results array, row values), and a copy of six separately counted
    /// fields cost six retains and releases (~1% of an order's service CPU).
    final class Storage: Sendable {
        let columns: [PostgresColumn]
        let commandTag: String
        let affectedRows: Int?
        let bytes: [UInt8]
        /// Per cell (row-major): start in `bytes` and length, length -1 for NULL.
        let cellStarts: [Int32]
        let cellLengths: [Int32]
        /// Column positions by name, for wide results only (see `columnIndex(named:)`).
        let wideColumnIndex: [String: Int]?

        init(columns: [PostgresColumn], commandTag: String, affectedRows: Int?, bytes: [UInt8],
             cellStarts: [Int32], cellLengths: [Int32]) {
            let rowCount = columns.isEmpty ? 0 : cellStarts.count / columns.count
            self.columns = columns
            self.commandTag = commandTag
            self.affectedRows = affectedRows
            self.bytes = bytes
            self.cellStarts = cellStarts
            self.cellLengths = cellLengths
            if columns.count > PostgresRows.linearSearchColumns && rowCount > 1 {
                var byName: [String: Int] = [:]
                for (index, column) in columns.enumerated() where byName[column.name] == nil {
                    byName[column.name] = index
                }
                wideColumnIndex = byName
            } else {
                wideColumnIndex = nil
            }
        }
    }

    let storage: Storage

    public var columns: [PostgresColumn] { storage.columns }
    /// The command tag, e.g. "INSERT 0 1", "SELECT 3".
    public var commandTag: String { storage.commandTag }
    /// Rows inserted/updated/deleted/selected, when the command reports a count.
    public var affectedRows: Int? { storage.affectedRows }

    init(columns: [PostgresColumn], commandTag: String, affectedRows: Int?, storage: [UInt8],
         cellStarts: [Int32], cellLengths: [Int32]) {
        self.storage = Storage(columns: columns, commandTag: commandTag, affectedRows: affectedRows, bytes: storage,
                               cellStarts: cellStarts, cellLengths: cellLengths)
    }

    /// Up to this many columns (or for a single row), names are found by a linear search: a
    /// dictionary built for every result cost more than the lookups it saved (an order's intake
    /// reads ten small results).
    static let linearSearchColumns = 8

    /// The first column called `name`.
    func columnIndex(named name: String) -> Int? {
        if let index = storage.wideColumnIndex { return index[name] }
        return storage.columns.firstIndex { $0.name == name }
    }

    /// An empty result (for statements that return no rows).
    public static func empty(commandTag: String = "", affectedRows: Int? = nil) -> PostgresRows {
        PostgresRows(columns: [], commandTag: commandTag, affectedRows: affectedRows, storage: [],
                     cellStarts: [], cellLengths: [])
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.columns.isEmpty ? 0 : storage.cellStarts.count / storage.columns.count }
    public subscript(position: Int) -> PostgresRow { PostgresRow(rows: self, index: position) }
}

/// One row; decode its cells by position or column name.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    public let index: Int

    public var columns: [PostgresColumn] { rows.columns }

    public func cell(at column: Int) throws(PostgresError) -> PostgresCell {
        let storage = rows.storage
        guard column >= 0, column < storage.columns.count else {
            throw PostgresError(.usage, "column index \(column) out of range (\(storage.columns.count) columns)")
        }
        let cellIndex = index * storage.columns.count + column
        let length = Int(storage.cellLengths[cellIndex])
        let start = Int(storage.cellStarts[cellIndex])
        let info = storage.columns[column]
        if length < 0 {
            return PostgresCell(column: info, bytes: nil)
        }
        return PostgresCell(column: info, bytes: storage.bytes[start..<(start + length)])
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws(PostgresError) -> T {
        try T.decode(from: cell(at: column))
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column name: String) throws(PostgresError) -> T {
        guard let column = rows.columnIndex(named: name) else {
            throw PostgresError(.usage, "no column named \"\(name)\"")
        }
        return try T.decode(from: cell(at: column))
    }
}

/// One cell in binary wire format; `bytes == nil` is SQL NULL.
public struct PostgresCell: Sendable {
    public let column: PostgresColumn
    public let bytes: ArraySlice<UInt8>?

    func decodingError(_ swiftType: String) -> PostgresError {
        PostgresError(.decoding, "column \"\(column.name)\" (type oid \(column.typeOID)) cannot be decoded as \(swiftType)")
    }

    func requireBytes(_ swiftType: String) throws(PostgresError) -> ArraySlice<UInt8> {
        guard let bytes else {
            throw PostgresError(.decoding, "column \"\(column.name)\" is NULL; decode as \(swiftType)? instead")
        }
        return bytes
    }
}
