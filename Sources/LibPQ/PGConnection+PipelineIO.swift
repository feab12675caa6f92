import CLibPQ

/// What a pipeline has answered so far (see `readPipeline`).
public struct PipelineReading: Sendable {
    let statements: Int
    public private(set) var outcomes: [PipelineOutcome] = []
    /// The outcome of the statement being read, until the NULL result that ends it.
    var current: PipelineOutcome?

    public init(statements: Int) {
        self.statements = statements
        outcomes.reserveCapacity(statements)
    }

    mutating func append(_ outcome: PipelineOutcome) { outcomes.append(outcome) }
}

/// The non-blocking halves of `runPipeline`, for a caller that waits on the socket itself (an
/// event loop): send, then feed `readPipeline` each time the socket is readable.
extension PGConnection {
    /// The connection's socket, to wait on for `readPipeline` (and `flushOutput`).
    public var socketDescriptor: Int32 { PQsocket(handle) }

    /// Queues every step plus a Sync and starts sending. True when everything went out;
    /// false when the rest must wait until the socket is writable (then call `flushOutput`).
    public func sendPipeline(_ steps: [PipelineStep], parameters: PipelineParameters) throws(PostgresError) -> Bool {
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError.fromConnection(handle, context: "cannot enter pipeline mode")
        }
        let sent = parameters.withLibPQArrays { values, lengths, formats, types in
            steps.allSatisfy { send($0, values: values, lengths: lengths, formats: formats, types: types) == 1 }
        }
        guard sent else {
            throw PostgresError.fromConnection(handle, context: "sending a statement failed")
        }
        guard PQpipelineSync(handle) == 1 else {
            throw PostgresError.fromConnection(handle, context: "sending the pipeline sync failed")
        }
        return try flushOutput()
    }

    /// Sends what is still buffered without waiting; true when nothing is left. While output
    /// is pending, read too (the server may be blocked writing its answers to us).
    public func flushOutput() throws(PostgresError) -> Bool {
        switch PQflush(handle) {
        case 0:
            return true
        case 1:
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError.fromConnection(handle, context: "connection lost")
            }
            return false
        default:
            throw PostgresError.fromConnection(handle, context: "sending to the server failed")
        }
    }

    /// Reads whatever has arrived, without waiting. True once every statement's outcome and
    /// the closing Sync are in (and pipeline mode is left); false: wait until readable again.
    /// Throws only for connection-level failures (the connection must then be discarded).
    public func readPipeline(_ reading: inout PipelineReading) throws(PostgresError) -> Bool {
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError.fromConnection(handle, context: "connection lost")
        }
        while true {
            if PQisBusy(handle) == 1 { return false }
            let result = PQgetResult(handle)
            if reading.outcomes.count < reading.statements {
                guard let result else {
                    // The NULL that ends one statement's results.
                    guard let outcome = reading.current else {
                        throw PostgresError.fromConnection(handle, context: "statement produced no result")
                    }
                    reading.append(outcome)
                    reading.current = nil
                    continue
                }
                defer { PQclear(result) }
                reading.current = try outcome(of: result)
                continue
            }
            guard let sync = result else {
                throw PostgresError.fromConnection(handle, context: "pipeline ended without its sync")
            }
            let syncStatus = PQresultStatus(sync)
            PQclear(sync)
            guard syncStatus == PGRES_PIPELINE_SYNC else {
                throw PostgresError(.connection, "pipeline out of step (expected sync, got status \(syncStatus.rawValue))")
            }
            guard PQexitPipelineMode(handle) == 1 else {
                throw PostgresError.fromConnection(handle, context: "cannot leave pipeline mode")
            }
            return true
        }
    }

    private func outcome(of result: OpaquePointer) throws(PostgresError) -> PipelineOutcome {
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return .rows(PGResultCopy.rows(from: result))
        case PGRES_FATAL_ERROR:
            let broken = PQstatus(handle) != CONNECTION_OK
            let error = PostgresError.fromResult(result, connectionBroken: broken)
            if error.kind == .connection { throw error }
            return .failed(error)
        case PGRES_PIPELINE_ABORTED:
            return .skipped
        default:
            throw PostgresError(.connection, "unsupported result status \(status.rawValue) (COPY?); connection abandoned")
        }
    }
}
