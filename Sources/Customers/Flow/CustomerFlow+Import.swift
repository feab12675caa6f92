import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Bulk import: each row validated and answered on its own (one bad row does not sink the
/// rest), with a per-row report. Rows go in batches: one transaction COPYs a batch's new
/// customers into a staging table and inserts them with a few set-based statements (customers,
/// phone rows with ON CONFLICT DO NOTHING, referrals, near-duplicates), which is what makes an
/// import of 100,000 rows take seconds rather than minutes. The phone index still decides ownership: a row whose phone is
/// anyone's already (or taken by a concurrent registration) loses its rows in the same
/// transaction and is then answered by the single-row path, exactly as CreateCustomer would
/// answer it ("existing" for the caller's own customer, else the fixed refusal, recorded and
/// told to the owner). Resending rows is harmless: they come back "existing". With an
/// idempotency key, row i goes through the single-row path under "<key>/<i>".
extension CustomerFlow {
    public static let maxImportRows = 100_000
    public static let importBatchSize = 1_000

    /// A batch validated and given ids, not yet written: the handler prepares a batch while the
    /// one before it is still being written, so the database does not wait for the validation.
    struct PreparedImport: Sendable {
        var rows: [Xsc_Customers_V1_ImportCustomerRow]
        var firstIndex: Int32
        var results: [Xsc_Customers_V1_ImportRowResult]
        /// The rows written together (`insertBatch`).
        var batch: [ImportStore.Row]
        /// Offsets of the rows that take the single-row path.
        var single: [Int]
        /// Every valid row's phones, and its name and address keys (`deferConflicts`).
        var phones: Set<String> = []
        var lookAlikeKeys: Set<String> = []

        /// Sends to the single-row path every batch row that shares a phone with a row of
        /// `previous` (an earlier batch still being written on another connection), holds a
        /// neighbour swap of one of its phones, or has the same name and address: the database
        /// cannot tell while both are uncommitted, so such a row is answered after `previous` is done,
        /// as if the stream were written one row at a time (`writeImport(after:)`).
        mutating func deferConflicts(with previous: PreparedImport) {
            guard !previous.phones.isEmpty else { return }
            var kept: [ImportStore.Row] = []
            for row in batch {
                let phones = row.valid.phones.map(\.digits)
                let conflicts = phones.contains(where: previous.phones.contains)
                    || phones.contains { NearDuplicateRules.transpositions(of: $0).contains(where: previous.phones.contains) }
                    || previous.lookAlikeKeys.contains(CustomerFlow.lookAlikeKey(row.valid))
                guard conflicts, let offset = results.firstIndex(where: { $0.customerId == row.id }) else {
                    kept.append(row)
                    continue
                }
                results[offset].customerId = ""
                single.append(offset)
            }
            batch = kept
        }
    }

    static func lookAlikeKey(_ valid: ValidCustomer) -> String {
        valid.nameKey + CustomerRecord.separator + valid.addressKey
    }

    func prepareImport(_ rows: [Xsc_Customers_V1_ImportCustomerRow], firstIndex: Int32, idempotencyKey: String?) -> PreparedImport {
        var prepared = PreparedImport(rows: rows, firstIndex: firstIndex, results: [], batch: [], single: [])
        var phonesSeen: Set<String> = []
        for (offset, row) in rows.enumerated() {
            var result = Xsc_Customers_V1_ImportRowResult()
            result.index = firstIndex + Int32(offset)
            do {
                let valid = try CustomerValidation.validate(row.customer)
                let phones = valid.phones.map(\.digits)
                if idempotencyKey != nil || phones.contains(where: phonesSeen.contains) {
                    prepared.single.append(offset) // keyed, or repeats a phone of an earlier row of this batch
                } else {
                    prepared.batch.append(.init(id: makeID(), valid: valid))
                    result.customerId = prepared.batch.last!.id
                }
                phonesSeen.formUnion(phones)
                prepared.lookAlikeKeys.insert(Self.lookAlikeKey(valid))
            } catch let error as RPCError {
                result.outcome = "refused"
                result.error = Self.status(of: error)
            } catch {
                result.outcome = "refused"
                result.error = Self.unavailableStatus
            }
            prepared.results.append(result)
        }
        prepared.phones = phonesSeen
        return prepared
    }

    /// Writes a prepared batch; results in order. `after`: the batches before it still being
    /// written (`ImportPipeline`): the single-row path waits for them, so its rows meet their
    /// rows as later rows of the stream would.
    func writeImport(_ prepared: PreparedImport, member: TeamMember, idempotencyKey: String?,
                     after earlier: [Task<[Xsc_Customers_V1_ImportRowResult], Never>] = [],
                     timeline: ImportTimeline = ImportTimeline()) async -> [Xsc_Customers_V1_ImportRowResult] {
        var results = prepared.results, single = prepared.single
        let batch = prepared.batch
        let byID = Dictionary(uniqueKeysWithValues: results.enumerated().filter { !$0.element.customerId.isEmpty }.map { ($0.element.customerId, $0.offset) })
        var losers: [String] = []
        var existing: [String: String] = [:]
        do {
            (losers, existing) = try await insertBatch(batch, member: member, timeline: timeline)
        } catch {
            // The batch did not commit: each of its rows on its own, answered the same but many
            // times slower, which nobody would see without this line.
            logger.warning("import batch failed; its rows go one by one", [
                "first_row": .int(Int64(prepared.firstIndex)), "batch_rows": .int(Int64(batch.count)),
                "error": .string(String(describing: error))])
            losers = batch.map(\.id)
        }
        let lost = Set(losers)
        for row in batch where !lost.contains(row.id) {
            if let holder = existing[row.id] {
                results[byID[row.id]!].outcome = "existing"
                results[byID[row.id]!].customerId = holder
            } else {
                results[byID[row.id]!].outcome = "created"
            }
        }
        for id in losers { results[byID[id]!].customerId = ""; single.append(byID[id]!) }
        if !single.isEmpty { for batch in earlier { _ = await batch.value } }
        timeline.count(batches: batch.isEmpty ? 0 : 1, singleRows: single.count)
        for offset in single.sorted() {
            results[offset] = await timeline.atDatabase(.single) {
                await importRow(prepared.rows[offset], index: prepared.firstIndex + Int32(offset), member: member,
                                idempotencyKey: idempotencyKey)
            }
        }
        return results
    }

    /// One transaction for the batch. Returns the rows that lost a phone and take the single-row
    /// path, and those answered "existing" (row id to the customer): a row whose phones all
    /// belong to one customer of the caller's own in the team, which is what a resent row is
    /// (the single-row path gives that answer too, a few round trips per row, where a resent
    /// import of 100,000 rows came back row by row before session 9).
    /// Four round trips, one of them carrying the data: (1) BEGIN and the staging table
    /// (`ImportStaging`); (2) COPY of the batch into it; (3) the rows that lose a phone marked
    /// with their phones' holders, the other rows' customers and phone rows, the referrals their
    /// phones collected and their near-duplicates, all read from the staging table; (4) COMMIT,
    /// after the statements for referrals and look-alikes found.
    private func insertBatch(_ rows: [ImportStore.Row], member: TeamMember,
                             timeline: ImportTimeline) async throws -> (losers: [String], existing: [String: String]) {
        guard !rows.isEmpty else { return ([], [:]) }
        let importer = ImportStore(), staging = ImportStaging()
        let data = staging.rows(rows)
        let asked = ContinuousClock.now
        return try await pool.transaction { tx in
            timeline.add(.connection, since: asked)
            let now = clock()
            try await timeline.atDatabase(.copy) {
                try await tx.copyIn(ImportStaging.copySQL, rows: data, before: [ImportStaging.createStatement])
            }
            let results = try await timeline.atDatabase(.statements) {
                try await tx.run([
                    CustomerStore.genericPlansStatement,
                    ImportStaging.markLostStatement,
                    staging.insertCustomersStatement(owner: member.accountID, team: member.teamPath, origin: "import", at: now),
                    ImportStaging.insertPhonesStatement,
                    ImportStaging.claimReferralsStatement,
                    staging.nearDuplicatesStatement(team: member.teamPath),
                ])
            }
            return try await timeline.atDatabase(.finish) {
                let held = try importer.held(from: results[1])
                var existing: [String: String] = [:]
                for row in rows {
                    guard let holders = held[row.id], let holder = Self.ownCustomer(of: row.valid, among: holders, for: member) else { continue }
                    existing[row.id] = holder
                }
                let lost = Set(held.keys)
                let losers = rows.filter { lost.contains($0.id) && existing[$0.id] == nil }.map(\.id)
                let winners = rows.filter { !lost.contains($0.id) }
                let owners = Dictionary(winners.flatMap { row in row.valid.phones.map { ($0.digits, row.id) } }, uniquingKeysWith: { first, _ in first })
                for (phone, referral) in try importer.referrals(from: results[4]).sorted(by: { $0.referral.atMillis < $1.referral.atMillis }) {
                    guard let id = owners[phone] else { continue }
                    _ = try await store.bindIfUnbound(id, intermediary: referral.intermediary, source: "order", orderID: referral.orderID,
                                                      at: referral.atMillis, in: tx)
                }
                // Within the batch only the later row is flagged (as if registered one by one); the
                // rows taken back above are no one's look-alikes.
                let order = Dictionary(uniqueKeysWithValues: winners.enumerated().map { ($0.element.id, $0.offset) })
                let pairs = try importer.pairs(from: results[5]).filter { pair in
                    guard !lost.contains(pair.customerID), !lost.contains(pair.similarID) else { return false }
                    guard let similar = order[pair.similarID] else { return true }
                    return similar < (order[pair.customerID] ?? 0)
                }
                if !pairs.isEmpty, try await importer.flag(pairs, ids: pairs.map { _ in makeID() }, team: member.teamPath, at: now, in: tx) > 0 {
                    for admin in try await directory.teamAdmins(of: member.teamPath, in: tx) {
                        try await notifier.send("customer_near_duplicate", to: admin,
                                                params: ["customer": rows.first { $0.id == pairs[0].customerID }?.valid.name ?? "-"],
                                                region: member.regionCode, in: tx)
                    }
                }
                try await tx.runAndCommit([])
                return (losers, existing)
            }
        }
    }

    /// The caller's own customer holding every phone of `valid` (and no one else holding any):
    /// the "existing" answer `resolveTaken` gives such a row, without its round trips.
    static func ownCustomer(of valid: ValidCustomer, among holders: [ImportStore.Holder], for member: TeamMember) -> String? {
        guard holders.count == 1, let holder = holders.first, holder.teamPath == member.teamPath,
              holder.ownerAccountID == member.accountID, Set(valid.phones.map(\.digits)).isSubset(of: Set(holder.phones)) else { return nil }
        return holder.id
    }

    /// One line per stream: its outcomes and where its time went (`ImportTimeline`).
    func logImport(_ timeline: ImportTimeline, response: Xsc_Customers_V1_ImportCustomersResponse) {
        guard logger.isEnabled(.info) else { return }
        logger.log(.info, "import finished", fields: [("created", .int(Int64(response.created))), ("existing", .int(Int64(response.existing))),
                                                     ("refused", .int(Int64(response.refused)))]
                   + timeline.fields(rows: response.results.count))
    }

    func importRow(_ row: Xsc_Customers_V1_ImportCustomerRow, index: Int32, member: TeamMember,
                   idempotencyKey: String?) async -> Xsc_Customers_V1_ImportRowResult {
        var result = Xsc_Customers_V1_ImportRowResult()
        result.index = index
        do {
            let valid = try CustomerValidation.validate(row.customer)
            let ticket = idempotencyKey.map { IdempotencyTicket(scope: "customers.ImportCustomers/" + member.accountID, key: "\($0)/\(index)",
                                                               request: row.serializedBytes()) }
            let response = try await register(valid, member: member, origin: "import", idempotency: ticket)
            result.outcome = response.existing ? "existing" : "created"
            result.customerId = response.customer?.id ?? ""
        } catch let error as RPCError {
            result.outcome = "refused"
            result.error = Self.status(of: error)
        } catch {
            result.outcome = "refused"
            result.error = Self.unavailableStatus
        }
        return result
    }

    static var unavailableStatus: Google_Rpc_Status {
        var status = Google_Rpc_Status()
        status.code = Int32(StatusCode.unavailable.rawValue)
        status.message = "the row could not be stored now; send it again"
        return status
    }

    static func status(of error: RPCError) -> Google_Rpc_Status {
        if let details = error.details, let status = try? Google_Rpc_Status(serializedBytes: details) { return status }
        var status = Google_Rpc_Status()
        status.code = Int32(error.code.rawValue)
        status.message = error.message
        return status
    }
}

extension CustomerFlow {
    /// Import rows as the handler runs them (batches through `ImportPipeline`), for tests without a stream.
    public func importForTests(_ rows: [Xsc_Customers_V1_ImportCustomerRow], actor: VerifiedActor,
                               idempotencyKey: String? = nil) async throws -> [Xsc_Customers_V1_ImportRowResult] {
        let member = try TeamMember.require(actor)
        var pipeline = ImportPipeline(flow: self, member: member, idempotencyKey: idempotencyKey)
        var results: [Xsc_Customers_V1_ImportRowResult] = []
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + Self.importBatchSize)])
            results += await pipeline.submit(chunk, firstIndex: Int32(start))
            start += chunk.count
        }
        return results + (await pipeline.finish())
    }
}
