import LibPQ

/// COPY ... FROM STDIN through the pool: on the connection's worker thread, like the other
/// blocking work of a session (`CopyTextRows` makes the data).
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
