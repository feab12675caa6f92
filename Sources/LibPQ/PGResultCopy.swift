import CLibPQ

/// Copies a PGresult into Swift-owned `PostgresRows` (one contiguous buffer for all cells),
/// so no pointer into libpq memory survives PQclear.
enum PGResultCopy {
    static func rows(from result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            let name = PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?"
            columns.append(PostgresColumn(name: name, typeOID: PQftype(result, Int32(column))))
        }
        var storage: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
        starts.reserveCapacity(rowCount * columnCount)
        lengths.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    starts.append(0)
                    lengths.append(-1)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                starts.append(Int32(storage.count))
                lengths.append(Int32(length))
                if length > 0, let value = PQgetvalue(result, Int32(row), Int32(column)) {
                    value.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                        storage.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
                    }
                }
            }
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = Self.count(PQcmdTuples(result))
        return PostgresRows(columns: columns, commandTag: tag, affectedRows: affected, storage: storage,
                            cellStarts: starts, cellLengths: lengths)
    }

    /// PQcmdTuples' digits ("" when the command reports no count), read without a String.
    private static func count(_ digits: UnsafeMutablePointer<CChar>?) -> Int? {
        guard let digits else { return nil }
        var value = 0
        var index = 0
        while true {
            let byte = UInt8(bitPattern: digits[index])
            if byte == 0 { break }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), index < 18 else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        return index == 0 ? nil : value
    }
}
