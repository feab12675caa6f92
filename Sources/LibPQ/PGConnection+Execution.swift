import CLibPQ

/// One message of a pipeline. All steps of a `runPipeline` call go to the server in one write
/// and form one implicit transaction (unless they contain BEGIN/COMMIT themselves). Parameters
/// are a range of the pipeline's `PipelineParameters`.
public enum PipelineStep: Sendable {
    /// Parse and name a statement (extended protocol Parse), for later `executePrepared`.
    case prepare(name: String, sql: String, parameterTypes: [UInt32])
    case executePrepared(name: String, parameters: Range<Int>)
    /// Unnamed statement: parse, bind and execute in one go.
    case execute(sql: String, parameters: Range<Int>)
}

public enum PipelineOutcome: Sendable {
    case rows(PostgresRows)
    case failed(PostgresError)
    /// Not executed because an earlier step of the same pipeline failed.
    case skipped
}

extension PGConnection {
    /// Sends every step plus a Sync, then reads every outcome. Throws only for connection-level
    /// failures or the deadline, after which the connection must be discarded; statement
    /// errors are returned per step.
    public func runPipeline(_ steps: [PipelineStep], parameters: PipelineParameters,
                            deadline: ContinuousClock.Instant?) throws(PostgresError) -> [PipelineOutcome] {
        if try !sendPipeline(steps, parameters: parameters) { try flush(deadline: deadline) }
        var reading = PipelineReading(statements: steps.count)
        while try !readPipeline(&reading) {
            try waitForSocket(read: true, write: false, deadline: deadline)
        }
        return reading.outcomes
    }

    /// Runs SQL text with the simple query protocol: may hold several statements, takes no
    /// parameters. Only for fixed SQL (migration files, BEGIN/COMMIT/ROLLBACK).
    public func executeScript(_ sql: String, deadline: ContinuousClock.Instant?) throws(PostgresError) {
        guard PQsendQuery(handle, sql) == 1 else {
            throw PostgresError.fromConnection(handle, context: "sending a statement failed")
        }
        try flush(deadline: deadline)
        var firstError: PostgresError?
        while let result = try nextResult(deadline: deadline) {
            let status = PQresultStatus(result)
            if status == PGRES_FATAL_ERROR, firstError == nil {
                firstError = PostgresError.fromResult(result, connectionBroken: PQstatus(handle) != CONNECTION_OK)
            } else if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                PQclear(result)
                throw PostgresError(.connection, "COPY is not supported here; connection abandoned")
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
        if PQstatus(handle) != CONNECTION_OK {
            throw PostgresError.fromConnection(handle, context: "connection lost")
        }
    }

    /// Queues one step; the arrays are the pipeline's parameters in libpq's layout
    /// (`PipelineParameters.withLibPQArrays`), a step passes the addresses of its range.
    func send(_ step: PipelineStep, values: UnsafePointer<UnsafePointer<CChar>?>, lengths: UnsafePointer<Int32>,
              formats: UnsafePointer<Int32>, types: UnsafePointer<UInt32>) -> Int32 {
        switch step {
        case .prepare(let name, let sql, let types):
            return types.withUnsafeBufferPointer { typeBuffer in
                PQsendPrepare(handle, name, sql, Int32(types.count), typeBuffer.baseAddress)
            }
        case .executePrepared(let name, let range):
            return PQsendQueryPrepared(handle, name, Int32(range.count), values + range.lowerBound,
                                       lengths + range.lowerBound, formats + range.lowerBound, 1)
        case .execute(let sql, let range):
            return PQsendQueryParams(handle, sql, Int32(range.count), types + range.lowerBound, values + range.lowerBound,
                                     lengths + range.lowerBound, formats + range.lowerBound, 1)
        }
    }

    /// The next PGresult (or nil at the end of a statement), waiting on the socket as needed.
    private func nextResult(deadline: ContinuousClock.Instant?) throws(PostgresError) -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            try waitForSocket(read: true, write: false, deadline: deadline)
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError.fromConnection(handle, context: "connection lost")
            }
        }
        return PQgetResult(handle)
    }

    /// Pushes buffered output; while the server cannot take more, read what it sends so
    /// neither side blocks on a full socket.
    func flush(deadline: ContinuousClock.Instant?) throws(PostgresError) {
        while true {
            switch PQflush(handle) {
            case 0:
                return
            case 1:
                try waitForSocket(read: true, write: true, deadline: deadline)
                guard PQconsumeInput(handle) == 1 else {
                    throw PostgresError.fromConnection(handle, context: "connection lost")
                }
            default:
                throw PostgresError.fromConnection(handle, context: "sending to the server failed")
            }
        }
    }
}
