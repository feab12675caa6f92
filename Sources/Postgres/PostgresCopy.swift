import LibPQ

/// Rows for `COPY ... FROM STDIN` in PostgreSQL's text format (tab between fields, newline after
/// each row, `\N` for NULL, backslash escapes), built byte by byte into one buffer.
public struct CopyTextRows: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var rowCount = 0
    private var fieldsInRow = 0

    public init(reservingBytes: Int = 0) {
        bytes.reserveCapacity(reservingBytes)
    }

    /// A text field, escaped so tabs, newlines and backslashes in it are data, not framing.
    public mutating func append(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                default: bytes.append(byte)
                }
            }
        }
    }

    public mutating func append<I: BinaryInteger>(_ value: I) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func appendNull() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        rowCount += 1
        fieldsInRow = 0
    }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }
}

extension PostgresTransaction {
    /// `COPY ... FROM STDIN` inside the transaction, on the connection's worker thread: the
    /// `before` statements (e.g. creating a staging table) go first as one pipeline (after BEGIN
    /// and the statement_timeout when the transaction has not begun), then the COPY with `rows`.
    /// Returns the rows stored. Bad data fails the COPY with a `.server` error and the
    /// transaction with it; the connection stays usable (it is rolled back before reuse).
    @discardableResult
    public func copyIn(_ sql: String, rows: CopyTextRows, before: [PostgresStatement] = []) async throws -> Int {
        try await copyIn(sql, data: rows.bytes, before: before)
    }

    /// As above with data already in the format the COPY's options name (text, csv, binary).
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8], before: [PostgresStatement] = []) async throws -> Int {
        let opening = try nextOpening()
        let connection = connection
        return try await connection.worker.perform(deadline: connection.deadline) { session throws(PostgresError) in
            try session.copyIn(sql, data: data, before: before, opening: opening, deadline: connection.deadline)
        }
    }
}

extension PostgresConnection {
    /// `COPY ... FROM STDIN` on its own (an implicit transaction of its own), on the worker thread.
    @discardableResult
    public func copyIn(_ sql: String, rows: CopyTextRows) async throws -> Int {
        let deadline = deadline
        guard ContinuousClock.now < deadline else {
            throw PostgresError(.deadlineExceeded, "deadline exceeded before the statement was sent")
        }
        let data = rows.bytes
        return try await worker.perform(deadline: deadline) { session throws(PostgresError) in
            try session.copyIn(sql, data: data, before: [], opening: .autocommit, deadline: deadline)
        }
    }
}

extension Session {
    /// The `before` statements as one pipeline opened as `opening` says (when there are any, or
    /// the opening adds BEGIN or a statement_timeout), then the COPY and its data.
    func copyIn(_ sql: String, data: [UInt8], before: [PostgresStatement], opening: Opening,
                deadline: ContinuousClock.Instant) throws(PostgresError) -> Int {
        if !before.isEmpty || !isInside(opening) { _ = try run(before, opening: opening, deadline: deadline) }
        do {
            return try connection.copyIn(sql, data: data, deadline: deadline)
        } catch {
            markBroken(after: error)
            throw error
        }
    }

    private func isInside(_ opening: Opening) -> Bool {
        if case .insideTransaction = opening { return true }
        return false
    }
}
