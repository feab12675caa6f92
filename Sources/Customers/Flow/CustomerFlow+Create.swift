import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Registering a customer: first-creator ownership, keyed on every normalised phone across all
/// teams. The `customer_phones` primary key decides races: of concurrent registrations of one
/// number exactly one INSERT commits, the others fail on it, roll back, and are answered by
/// `resolveTaken` in a transaction of their own (which records the attempt and tells the owner).
extension CustomerFlow {
    public func create(_ request: Xsc_Customers_V1_CreateCustomerRequest, actor: VerifiedActor,
                       idempotencyKey: String?) async throws -> Xsc_Customers_V1_CustomerResponse {
        let member = try TeamMember.require(actor)
        let valid = try CustomerValidation.validate(request.customer)
        let key = idempotencyKey.map { IdempotencyTicket(scope: "customers.CreateCustomer/" + member.accountID, key: $0,
                                                        request: request.serializedBytes()) }
        do {
            do {
                return try await registerPlain(valid, member: member, origin: "self", idempotency: key)
            } catch where RegistrationCheck.isMiss(error) {
                // A referral waits for a phone or the team has a look-alike: nothing was written.
                return try await registerNew(valid, member: member, origin: "self", idempotency: key)
            }
        } catch where CustomerStore.isPhoneTaken(error) || IdempotencyStore.isKeyTaken(error) {
            // A phone is someone's (or the key was used): the new rows rolled back; answer
            // through the path that checks holders and keys first.
            return try await register(valid, member: member, origin: "self", idempotency: key)
        }
    }

    /// The common case in one round trip: BEGIN, generic plans, the check that no referral waits
    /// for the phones and the team has no look-alike (`RegistrationCheck`), the customer and its
    /// phone rows, the idempotency key with its answer, COMMIT, all in one pipeline, so the pool
    /// connection is held for one round trip and none of the service's own work. The answer is
    /// made before sending (the record as inserted: `CustomerRecord(new:)`); it is right only if
    /// the check passes, and when it does not, the check fails the transaction (nothing is written)
    /// and `create` takes `registerNew`. A taken phone or used key fails as in `registerNew`.
    func registerPlain(_ valid: ValidCustomer, member: TeamMember, origin: String,
                       idempotency ticket: IdempotencyTicket?) async throws -> Xsc_Customers_V1_CustomerResponse {
        let new = CustomerStore.NewCustomer(id: makeID(), valid: valid, owner: member.accountID, teamPath: member.teamPath,
                                            createdBy: member.accountID, origin: origin, at: clock())
        var response = Xsc_Customers_V1_CustomerResponse()
        response.customer = CustomerRecord(new: new).message
        var statements = [
            CustomerStore.genericPlansStatement,
            RegistrationCheck().statement(team: member.teamPath, nameKey: valid.nameKey, addressKey: valid.addressKey,
                                          phones: valid.phones.map(\.digits), exclude: new.id),
            store.insertStatement(new, returning: false), store.insertPhonesStatement(customerID: new.id, phones: valid.phones),
        ]
        if let ticket {
            statements.append(idempotency.answeredInsertStatement(scope: ticket.scope, key: ticket.key, request: ticket.request,
                                                                  answer: .init(response: response.serializedBytes())))
        }
        try await pool.transaction(batch: statements)
        return response
    }

    /// A customer nobody has whose phones a referral waits for, or with a look-alike in its
    /// team (`registerPlain` handles the rest), in two round trips: (1) BEGIN, generic plans, the
    /// customer and its phone rows, any referral waiting for its phones, its near-duplicates; (2) the
    /// idempotency key with its answer and COMMIT (more only when a referral or a look-alike
    /// was found). A taken phone fails the phone INSERT on the unique index, a used key the
    /// key INSERT: everything rolls back and `create` answers through `register`.
    func registerNew(_ valid: ValidCustomer, member: TeamMember, origin: String,
                     idempotency ticket: IdempotencyTicket?) async throws -> Xsc_Customers_V1_CustomerResponse {
        try await pool.transaction { tx in
            let now = clock()
            let new = CustomerStore.NewCustomer(id: makeID(), valid: valid, owner: member.accountID, teamPath: member.teamPath,
                                                createdBy: member.accountID, origin: origin, at: now)
            let phones = valid.phones.map(\.digits)
            let results = try await tx.run([
                CustomerStore.genericPlansStatement,
                store.insertStatement(new), store.insertPhonesStatement(customerID: new.id, phones: valid.phones),
                referrals.claimStatement(phones: phones),
                duplicates.candidatesStatement(team: member.teamPath, nameKey: valid.nameKey, addressKey: valid.addressKey,
                                               phones: phones, exclude: new.id),
            ])
            var record = try CustomerRecord(row: results[1][0])
            if let referral = try referrals.earliest(from: results[3]) {
                record = try await store.bindIfUnbound(record.id, intermediary: referral.intermediary, source: "order",
                                                       orderID: referral.orderID, at: referral.atMillis, in: tx).0
            }
            var response = Xsc_Customers_V1_CustomerResponse()
            response.nearDuplicateIds = try await flag(record, candidates: try duplicates.candidates(from: results[4]), in: tx)
            response.customer = record.message
            var last: [PostgresStatement] = []
            if let ticket {
                last.append(idempotency.answeredInsertStatement(scope: ticket.scope, key: ticket.key, request: ticket.request,
                                                                answer: .init(response: response.serializedBytes())))
            }
            _ = try await tx.runAndCommit(last)
            return response
        }
    }

    struct IdempotencyTicket: Sendable {
        var scope: String
        var key: String
        var request: [UInt8]

        /// Names a registration attempt, so its retries are recorded and told once.
        var attempt: String { scope + "/" + key }
    }

    /// What a registration came to, decided inside a transaction and acted on after it
    /// committed (a refusal must commit its audit row and SMS, then throw).
    enum Registration: Sendable {
        case answered(Xsc_Customers_V1_CustomerResponse)
        case refused(RPCError)
    }

    func register(_ valid: ValidCustomer, member: TeamMember, origin: String,
                  idempotency ticket: IdempotencyTicket?) async throws -> Xsc_Customers_V1_CustomerResponse {
        let outcome: Registration
        do {
            outcome = try await pool.transaction { tx -> Registration in
                var claim: IdempotencyStore.Ticket?
                if let ticket {
                    switch try await idempotency.claim(in: tx, scope: ticket.scope, key: ticket.key, request: ticket.request) {
                    case .replay(let answer):
                        guard answer.status == .ok else { throw RPCError(code: answer.status, message: answer.message) }
                        return .answered(try Xsc_Customers_V1_CustomerResponse(serializedBytes: answer.response))
                    case .fresh(let fresh):
                        claim = fresh
                    }
                }
                let holders = try await store.holders(of: valid.phones.map(\.digits), forUpdate: true, in: tx)
                let outcome = holders.isEmpty
                    ? Registration.answered(try await insertNew(valid, member: member, origin: origin, in: tx))
                    : try await resolveTaken(valid, holders: holders, member: member, attempt: ticket.map(\.attempt), in: tx)
                if let claim {
                    // A refusal is not stored under the key: everything (key, attempt, SMS)
                    // rolls back and is redone below without it, so a retry is refused again
                    // the same way, with its details, instead of replaying a bare status.
                    guard case .answered(let response) = outcome else { throw RefusedUnderKey() }
                    try await idempotency.record(in: tx, claim, answer: .init(response: response.serializedBytes()))
                }
                return outcome
            }
        } catch where CustomerStore.isPhoneTaken(error) || error is RefusedUnderKey {
            // A concurrent registration of a phone committed first, or a refusal under an
            // idempotency key: everything above rolled back; answer as a later registration would be.
            outcome = try await pool.transaction { tx in
                let holders = try await store.holders(of: valid.phones.map(\.digits), forUpdate: true, in: tx)
                guard !holders.isEmpty else { throw RPCError(code: .aborted, message: "the customer changed concurrently; retry the call") }
                return try await resolveTaken(valid, holders: holders, member: member, attempt: ticket.map(\.attempt), in: tx)
            }
        }
        switch outcome {
        case .answered(let response): return response
        case .refused(let error): throw error
        }
    }

    private struct RefusedUnderKey: Error {}

    /// A new customer owned by `member`, with the referral its phones had collected and its
    /// near-duplicates flagged.
    private func insertNew(_ valid: ValidCustomer, member: TeamMember, origin: String,
                           in tx: PostgresTransaction) async throws -> Xsc_Customers_V1_CustomerResponse {
        let now = clock()
        var record = try await store.insert(.init(id: makeID(), valid: valid, owner: member.accountID, teamPath: member.teamPath,
                                                  createdBy: member.accountID, origin: origin, at: now), in: tx)
        record = try await adoptReferral(record, in: tx)
        var response = Xsc_Customers_V1_CustomerResponse()
        response.nearDuplicateIds = try await flagNearDuplicates(of: record, in: tx)
        response.customer = record.message
        return response
    }

    /// Some phone is taken. The caller's own customer with these phones is the idempotent
    /// answer (`existing`); an ownerless customer an order brought into the caller's team is
    /// claimed; anything else is refused with the fixed message, the attempt recorded against
    /// each holder and its owner told.
    func resolveTaken(_ valid: ValidCustomer, holders: [CustomerRecord], member: TeamMember, attempt: String? = nil,
                      in tx: PostgresTransaction) async throws -> Registration {
        let typed = Set(valid.phones.map(\.digits))
        if holders.count == 1, let holder = holders.first, holder.teamPath == member.teamPath, typed.isSubset(of: Set(holder.phones)) {
            if holder.ownerAccountID == member.accountID {
                var response = Xsc_Customers_V1_CustomerResponse()
                response.customer = holder.message
                response.existing = true
                return .answered(response)
            }
            if holder.ownerAccountID.isEmpty {
                let claimed = try await store.setOwner(holder.id, owner: member.accountID, at: clock(), in: tx)
                var response = Xsc_Customers_V1_CustomerResponse()
                response.customer = claimed.message
                response.existing = true
                return .answered(response)
            }
        }
        if holders.allSatisfy({ $0.ownerAccountID == member.accountID }) {
            return .refused(DomainErrors.refused(.alreadyExists,
                                                 "you registered a customer with \(holders.count == 1 ? "this phone" : "these phones") already (\(holders.map(\.id).joined(separator: ", "))): add the other numbers to it with UpdateCustomer",
                                                 reason: CustomerErrors.Reason.alreadyYours))
        }
        let now = clock()
        // One attempt is recorded (and told) once: per idempotency key, else per person, customer
        // and UTC day, so a resent import or a retried call does not flood the owner with SMS.
        let attemptKey = attempt ?? "\(member.accountID)/day-\(now / 86_400_000)"
        for holder in holders where holder.ownerAccountID != member.accountID {
            let first = try await audit.record(id: makeID(), team: holder.teamPath, kind: "duplicate_attempt", customerID: holder.id,
                                               actor: member.accountID, actorTeam: member.teamPath,
                                               detail: "registration refused: phone already registered", at: now,
                                               dedupeKey: attemptKey + "/" + holder.id, in: tx)
            guard first else { continue } // a retry of an attempt already recorded and told
            let shown = holder.phones.first { typed.contains($0) }.map { MainlandPhone($0)?.masked ?? "" } ?? ""
            try await notifier.send("customer_duplicate_attempt", to: holder.ownerAccountID,
                                    params: ["customer": holder.name, "phone": shown.isEmpty ? "-" : shown],
                                    region: TeamMember.regionCode(of: holder.teamPath), in: tx)
        }
        return .refused(CustomerErrors.alreadyOwned)
    }

    /// Binds a customer that just got its phones to the first intermediary that referred one
    /// of them before it existed (ReferrerSeen events for an unknown phone wait for it).
    func adoptReferral(_ record: CustomerRecord, in tx: PostgresTransaction) async throws -> CustomerRecord {
        guard let referral = try await referrals.claim(phones: record.phones, in: tx) else { return record }
        return try await store.bindIfUnbound(record.id, intermediary: referral.intermediary, source: "order",
                                             orderID: referral.orderID, at: referral.atMillis, in: tx).0
    }

    /// Flags every near-duplicate of `record` in its team for the team admin (who is told by
    /// SMS once per new customer); returns the ids of the similar customers.
    func flagNearDuplicates(of record: CustomerRecord, in tx: PostgresTransaction) async throws -> [String] {
        let candidates = try await duplicates.candidates(team: record.teamPath, nameKey: NearDuplicateRules.key(record.name),
                                                         addressKey: NearDuplicateRules.key(record.address), phones: record.phones,
                                                         exclude: record.id, in: tx)
        return try await flag(record, candidates: candidates, in: tx)
    }

    func flag(_ record: CustomerRecord, candidates: [DuplicateStore.Candidate], in tx: PostgresTransaction) async throws -> [String] {
        guard !candidates.isEmpty else { return [] }
        var flagged = false
        for candidate in candidates {
            flagged = try await duplicates.flag(id: makeID(), team: record.teamPath, customerID: record.id, similar: candidate.customerID,
                                                reason: candidate.reason, at: clock(), in: tx) || flagged
        }
        if flagged {
            for admin in try await directory.teamAdmins(of: record.teamPath, in: tx) {
                try await notifier.send("customer_near_duplicate", to: admin, params: ["customer": record.name],
                                        region: TeamMember.regionCode(of: record.teamPath), in: tx)
            }
        }
        return candidates.map(\.customerID)
    }
}
