import CLibPQ

/// COPY ... FROM STDIN: the server's bulk-load path, which parses rows straight from a stream
/// instead of one bound parameter (or one array literal) per value. Outside pipeline mode (libpq
/// does not pipeline COPY): the statement, then the data, then the outcome.
extension PGConnection {
    /// Bytes handed to PQputCopyData at a time: libpq frames each call as one CopyData
    /// message, and the server reads whole messages, so a batch of megabytes goes out in
    /// pieces small enough that neither side holds it all twice.
    static let copyChunkBytes = 64 * 1024

    /// Runs `sql` (a `COPY ... FROM STDIN`, in the format its options name) and sends `data`
    /// as its input; returns the rows the server stored. A server error (bad data, a violated
    /// constraint, an unknown table) is thrown as `.server` and leaves the connection usable (in
    /// a transaction, the transaction failed); connection-level failures and the deadline throw
    /// too, after which the connection must be discarded.
    public func copyIn(_ sql: String, data: [UInt8], deadline: ContinuousClock.Instant?) throws(PostgresError) -> Int {
        guard PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1 else {
            throw PostgresError.fromConnection(handle, context: "sending COPY failed")
        }
        try flush(deadline: deadline)
        // The first result says whether the server is ready for data or refused the statement.
        guard let first = try copyResult(deadline: deadline) else {
            throw PostgresError(.connection, "COPY produced no result; connection abandoned")
        }
        let status = PQresultStatus(first)
        if status != PGRES_COPY_IN {
            let error = failure(of: first, status: status)
            PQclear(first)
            try drainResults(deadline: deadline)
            throw error
        }
        PQclear(first)
        try sendCopyData(data, deadline: deadline)
        try endCopy(deadline: deadline)
        // The COPY's own outcome, then the NULL that ends it.
        guard let outcome = try copyResult(deadline: deadline) else {
            throw PostgresError(.connection, "COPY ended without an outcome; connection abandoned")
        }
        let outcomeStatus = PQresultStatus(outcome)
        let stored = Int(String(cString: PQcmdTuples(outcome))) ?? 0
        let error: PostgresError? = outcomeStatus == PGRES_COMMAND_OK ? nil : failure(of: outcome, status: outcomeStatus)
        PQclear(outcome)
        try drainResults(deadline: deadline)
        if let error { throw error }
        return stored
    }

    /// Queues the data in chunks; when libpq's buffer is full (non-blocking mode), waits until
    /// the socket takes more, reading meanwhile so an early error from the server cannot block it.
    private func sendCopyData(_ data: [UInt8], deadline: ContinuousClock.Instant?) throws(PostgresError) {
        var start = 0
        while start < data.count {
            let end = min(data.count, start + Self.copyChunkBytes)
            let queued = data.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { base in
                    PQputCopyData(handle, base + start, Int32(end - start))
                }
            }
            switch queued {
            case 1:
                start = end
            case 0:
                try waitForSocket(read: true, write: true, deadline: deadline)
                guard PQconsumeInput(handle) == 1 else {
                    throw PostgresError.fromConnection(handle, context: "connection lost during COPY")
                }
                _ = PQflush(handle)
            default:
                throw PostgresError.fromConnection(handle, context: "sending COPY data failed")
            }
        }
    }

    private func endCopy(deadline: ContinuousClock.Instant?) throws(PostgresError) {
        while true {
            switch PQputCopyEnd(handle, nil) {
            case 1:
                try flush(deadline: deadline)
                return
            case 0:
                try waitForSocket(read: false, write: true, deadline: deadline)
                _ = PQflush(handle)
            default:
                throw PostgresError.fromConnection(handle, context: "ending COPY failed")
            }
        }
    }

    /// The next result, waiting on the socket as needed (nil: the statement's results are over).
    private func copyResult(deadline: ContinuousClock.Instant?) throws(PostgresError) -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            try waitForSocket(read: true, write: false, deadline: deadline)
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError.fromConnection(handle, context: "connection lost")
            }
        }
        return PQgetResult(handle)
    }

    /// Reads up to the NULL result that ends the statement, so the connection is idle again.
    private func drainResults(deadline: ContinuousClock.Instant?) throws(PostgresError) {
        while let extra = try copyResult(deadline: deadline) {
            let status = PQresultStatus(extra)
            PQclear(extra)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                throw PostgresError(.connection, "a second COPY in one statement; connection abandoned")
            }
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError.fromConnection(handle, context: "connection lost")
        }
    }

    private func failure(of result: OpaquePointer, status: ExecStatusType) -> PostgresError {
        if status == PGRES_FATAL_ERROR {
            return PostgresError.fromResult(result, connectionBroken: PQstatus(handle) != CONNECTION_OK)
        }
        return PostgresError(.usage, "not a COPY FROM STDIN statement (result status \(status.rawValue))")
    }
}
