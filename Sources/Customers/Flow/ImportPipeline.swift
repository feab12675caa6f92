import Messages

/// The batches of one import stream, written `depth` (2) at a time on as many pool connections:
/// while one batch's transaction is at the database the next is validated and sent, so
/// PostgreSQL does not wait for the service and the client between batches (bench/README.md,
/// "Customers benchmark"). Batches in flight never both write one phone or miss a look-alike
/// between them: a batch's rows that meet rows of an earlier batch still in flight go to the
/// single-row path, which waits for those batches (`PreparedImport.deferConflicts`). Results
/// come back in stream order.
public struct ImportPipeline {
    /// Batches being written at once (1: one after the other, as before session 7).
    public static let defaultDepth = 2

    let flow: CustomerFlow
    let member: TeamMember
    let idempotencyKey: String?
    let depth: Int
    /// Where the stream's time goes (logged when it ends).
    let timeline = ImportTimeline()
    private var inFlight: [(prepared: Task<CustomerFlow.PreparedImport, Never>, written: Task<[Xsc_Customers_V1_ImportRowResult], Never>)] = []

    init(flow: CustomerFlow, member: TeamMember, idempotencyKey: String?) {
        self.flow = flow
        self.member = member
        self.idempotencyKey = idempotencyKey
        depth = flow.importBatchesInFlight
    }

    /// Starts the batch `rows`; returns the results of the oldest batch when it had to finish
    /// first (else nothing). One batch more than `depth` is held: it waits for the write `depth`
    /// places before it, so while the oldest write finishes the stream is still read and the
    /// next batch is ready the moment a connection is free (with exactly `depth` held, the
    /// caller stopped reading while it waited, and PostgreSQL had one batch at a time meanwhile).
    mutating func submit(_ rows: [Xsc_Customers_V1_ImportCustomerRow], firstIndex: Int32) async -> [Xsc_Customers_V1_ImportRowResult] {
        let flow = flow, member = member, key = idempotencyKey, depth = max(1, depth), timeline = timeline
        let prepared = Task {
            let start = ContinuousClock.now
            defer { timeline.add(.prepare, since: start) }
            return flow.prepareImport(rows, firstIndex: firstIndex, idempotencyKey: key)
        }
        var finished: [Xsc_Customers_V1_ImportRowResult] = []
        let heldSince = ContinuousClock.now
        while inFlight.count > depth { finished += await inFlight.removeFirst().written.value }
        timeline.add(.held, since: heldSince)
        let earlier = inFlight
        let turn = earlier.count >= depth ? earlier[earlier.count - depth].written : nil
        let written = Task {
            var batch = await prepared.value
            for previous in earlier { batch.deferConflicts(with: await previous.prepared.value) }
            let waiting = ContinuousClock.now
            if let turn { _ = await turn.value }  // at most `depth` batches write at once
            timeline.add(.turn, since: waiting)
            return await flow.writeImport(batch, member: member, idempotencyKey: key, after: earlier.map(\.written), timeline: timeline)
        }
        inFlight.append((prepared, written))
        return finished
    }

    /// The results of every batch still in flight, in order.
    mutating func finish() async -> [Xsc_Customers_V1_ImportRowResult] {
        var results: [Xsc_Customers_V1_ImportRowResult] = []
        while !inFlight.isEmpty { results += await inFlight.removeFirst().written.value }
        return results
    }

    func cancel() {
        for batch in inFlight { batch.written.cancel() }
    }
}
