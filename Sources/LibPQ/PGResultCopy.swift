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
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) }
        return PostgresRows(columns: columns, commandTag: tag, affectedRows: affected, storage: storage,
                            cellStarts: starts, cellLengths: lengths)
    }
}
