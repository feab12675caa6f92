import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// A statement's life: draft -> signed (the region's regional manager) -> paid (its dealer
/// records reference and date) -> archived (the regional manager). Its figures never change;
/// the database refuses that too (statements_guard, reward_lines_frozen).
extension SettlementFlow {
    /// Who may read a statement: its payee, its dealer, and the region's regional manager,
    /// customer service and office order leads (who print it). Anyone else: NOT_FOUND.
    static func mayRead(_ statement: StatementRow, _ actor: VerifiedActor) -> Bool {
        actor.accountID == statement.payeeAccountID || actor.accountID == statement.dealerAccountID
            || (actor.readsRegionStatements && actor.regionID == statement.regionID)
    }

    func loadVisible(_ id: String, actor: VerifiedActor, forUpdate: Bool, in tx: PostgresTransaction) async throws -> StatementRow {
        guard !id.isEmpty, let row = try await statements.load(id, forUpdate: forUpdate, in: tx), Self.mayRead(row, actor) else {
            throw DomainErrors.notFound("statement", id: id)
        }
        return row
    }

    public func getStatement(_ id: String, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_StatementResponse {
        try await named(try await pool.transaction { tx in
            try await response(try await loadVisible(id, actor: actor, forUpdate: false, in: tx), in: tx)
        })
    }

    public func listStatements(_ request: Xsc_Settlements_V1_ListStatementsRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_ListStatementsResponse {
        let (limit, after) = try Self.page(request.page, keyParts: 3)
        let state = try Self.storedState(request.state)
        let region = actor.readsRegionStatements ? (actor.regionID ?? "") : ""
        let rows = try await pool.transaction { tx in
            try await statements.list(week: request.week, dealer: request.dealerAccountId, payee: request.payeeAccountId, state: state,
                                      readerAccount: actor.accountID, readerRegion: region, limit: limit,
                                      after: after.map { ($0.millis ?? 0, $0.parts[1], $0.parts[2]) }, in: tx)
        }
        let names = try await directory.people(rows.map(\.payeeAccountID))
        var response = Xsc_Settlements_V1_ListStatementsResponse()
        response.statements = rows.map { Self.message($0, lines: nil, payeeName: names[$0.payeeAccountID]?.name ?? "") }
        response.page = Self.pageInfo(limit: limit, returned: rows.count) {
            [String(rows.last?.periodStartMillis ?? 0), rows.last?.dealerAccountID ?? "", rows.last?.payeeAccountID ?? ""]
        }
        return response
    }

    public func signStatement(_ id: String, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_StatementResponse {
        try await named(try await pool.transaction { tx in
            let row = try await loadVisible(id, actor: actor, forUpdate: true, in: tx)
            guard actor.isRegionalManager, actor.regionID == row.regionID else {
                throw DomainErrors.refused(.permissionDenied, "only the regional manager of region \(row.regionID) signs this statement",
                                           reason: "REGIONAL_MANAGER_REQUIRED")
            }
            guard row.state == "draft" else {
                throw DomainErrors.illegalState("statement \(id) is \(row.state); a signed statement cannot change")
            }
            try await statements.sign(id, by: actor.accountID, at: clock(), in: tx)
            let signed = try await statements.load(id, in: tx)!
            try await notifier.approved(signed, in: tx)
            return try await response(signed, in: tx)
        })
    }

    /// With an idempotency key, a retried call (the dealer's answer got lost) gets the first
    /// answer again instead of "already paid".
    public func recordPayment(_ request: Xsc_Settlements_V1_RecordPaymentRequest, actor: VerifiedActor,
                              idempotencyKey: String? = nil) async throws -> Xsc_Settlements_V1_StatementResponse {
        let reference = request.paymentReference.trimmedForPeople
        var violations = FieldViolations()
        if reference.isEmpty { violations.add("payment_reference", "required: the bank or cash voucher reference") }
        violations.add("payment_reference", ifProblem: PeopleText.problem(with: reference, maxLength: 100))
        if reference.contains("{") || reference.contains("}") { violations.add("payment_reference", "must not contain { or }") }
        if request.paidOnMs <= 0 { violations.add("paid_on_ms", "required: the day the dealer paid") }
        if request.paidOnMs > clock() + 86_400_000 { violations.add("paid_on_ms", "must not be in the future") }
        try violations.check()
        return try await named(try await pool.transaction { tx in
            guard let key = idempotencyKey else { return try await pay(request, reference: reference, actor: actor, in: tx) }
            return try await idempotency.run(in: tx, scope: "settlements.RecordPayment/\(actor.accountID)", key: key, request: request) {
                try await pay(request, reference: reference, actor: actor, in: tx)
            }
        })
    }

    private func pay(_ request: Xsc_Settlements_V1_RecordPaymentRequest, reference: String, actor: VerifiedActor,
                     in tx: PostgresTransaction) async throws -> Xsc_Settlements_V1_StatementResponse {
        let row = try await loadVisible(request.statementId, actor: actor, forUpdate: true, in: tx)
        guard actor.accountID == row.dealerAccountID else {
            throw DomainErrors.refused(.permissionDenied, "only the paying dealer records the payment", reason: "PAYING_DEALER_REQUIRED")
        }
        guard row.state == "signed" else {
            throw DomainErrors.illegalState(row.state == "draft"
                ? "statement \(row.id) is not signed yet; pay after the regional manager signs it"
                : "statement \(row.id) is \(row.state); its payment is recorded already")
        }
        guard row.payableFen > 0 else {
            throw DomainErrors.illegalState("statement \(row.id) has nothing to pay (its balance is carried forward)")
        }
        try await statements.recordPayment(row.id, reference: reference, paidOn: request.paidOnMs, by: actor.accountID, in: tx)
        let paid = try await statements.load(row.id, in: tx)!
        try await notifier.paid(paid, reference: reference, in: tx)
        return try await response(paid, in: tx)
    }

    public func archiveStatement(_ id: String, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_StatementResponse {
        try await named(try await pool.transaction { tx in
            let row = try await loadVisible(id, actor: actor, forUpdate: true, in: tx)
            guard actor.isRegionalManager, actor.regionID == row.regionID else {
                throw DomainErrors.refused(.permissionDenied, "only the regional manager of region \(row.regionID) archives this statement",
                                           reason: "REGIONAL_MANAGER_REQUIRED")
            }
            guard row.state == "paid" || (row.state == "signed" && row.payableFen == 0) else {
                throw DomainErrors.illegalState("statement \(id) is \(row.state); it is archived once paid")
            }
            try await statements.archive(id, at: clock(), in: tx)
            return try await response(try await statements.load(id, in: tx)!, in: tx)
        })
    }

    /// The statement with its lines, read in `tx`; the payee's name is added by `named` after
    /// the transaction (the directory is read on its own connection, never while holding one).
    func response(_ row: StatementRow, in tx: PostgresTransaction) async throws -> Xsc_Settlements_V1_StatementResponse {
        var response = Xsc_Settlements_V1_StatementResponse()
        response.statement = Self.message(row, lines: try await statements.lines(of: row.id, in: tx), payeeName: "")
        return response
    }

    func named(_ response: Xsc_Settlements_V1_StatementResponse) async throws -> Xsc_Settlements_V1_StatementResponse {
        guard var statement = response.statement else { return response }
        statement.payeeName = try await directory.people([statement.payeeAccountId])[statement.payeeAccountId]?.name ?? ""
        var named = response
        named.statement = statement
        return named
    }
}
