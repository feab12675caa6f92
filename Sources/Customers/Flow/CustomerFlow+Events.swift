import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// Orders' events (delivered at least once through orders' outbox, applied once per event id).
extension CustomerFlow {
    /// An order named a customer: an existing customer (any team) keeps its owner and gets the
    /// order's referrer if it has no binding yet; a new one goes to the credited team, owned by
    /// the submitting salesperson if there was one.
    public func customerSeen(_ event: Xsc_Orders_V1_CustomerSeen, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try Self.requireSystem(actor, "RecordCustomerSeen")
        try Self.requireEventID(event.eventId)
        var ack = Xsc_Common_V1_EventAck()
        ack.applied = try await applyEvent(event.eventId) { tx in
            guard let phone = MainlandPhone(event.customerPhone), event.creditedTeamPath.hasPrefix("/") else { return }
            let at = event.seenAtMs > 0 ? event.seenAtMs : clock()
            var customer: CustomerRecord
            if let holder = try await store.holders(of: [phone.digits], forUpdate: true, in: tx).first {
                customer = holder
            } else {
                let name = event.customerName.trimmedForPeople
                let address = event.customerAddress.trimmedForPeople
                let valid = ValidCustomer(
                    name: PeopleText.problem(with: name, maxLength: CustomerValidation.maxName) == nil ? name : "客户" + phone.masked,
                    phones: [.init(digits: phone.digits, isMobile: phone.kind == .mobile)],
                    address: PeopleText.problem(with: address, required: false, maxLength: CustomerValidation.maxAddress) == nil ? address : "",
                    districtID: event.districtId, kind: 0, decisionMaker: .init(), purchaser: .init(), grade: 0, tags: [])
                customer = try await store.insert(.init(id: makeID(), valid: valid, owner: event.salespersonAccountId,
                                                        teamPath: event.creditedTeamPath, createdBy: event.submittedByAccountId,
                                                        origin: "order", at: at), in: tx)
                customer = try await adoptReferral(customer, in: tx)
                _ = try await flagNearDuplicates(of: customer, in: tx)
            }
            if !event.referrerAccountId.isEmpty {
                _ = try await store.bindIfUnbound(customer.id, intermediary: event.referrerAccountId, source: "order",
                                                  orderID: event.orderId, at: at, in: tx)
            }
        }
        return ack
    }

    /// A referrer code brought an order: the customer with that phone is bound for good to
    /// this referrer unless it is bound already; a phone no customer has yet keeps the first
    /// referral until its customer appears.
    public func referrerSeen(_ event: Xsc_Orders_V1_ReferrerSeen, actor: VerifiedActor) async throws -> Xsc_Common_V1_EventAck {
        try Self.requireSystem(actor, "RecordReferrerSeen")
        try Self.requireEventID(event.eventId)
        var ack = Xsc_Common_V1_EventAck()
        ack.applied = try await applyEvent(event.eventId) { tx in
            guard let phone = MainlandPhone(event.customerPhone), !event.referrerAccountId.isEmpty else { return }
            let at = event.seenAtMs > 0 ? event.seenAtMs : clock()
            if let holder = try await store.holders(of: [phone.digits], forUpdate: true, in: tx).first {
                _ = try await store.bindIfUnbound(holder.id, intermediary: event.referrerAccountId, source: "order",
                                                  orderID: event.orderId, at: at, in: tx)
            } else {
                try await referrals.rememberUnclaimed(phone: phone.digits, intermediary: event.referrerAccountId,
                                                      orderID: event.orderId, at: at, in: tx)
            }
        }
        return ack
    }

    /// Runs `body` once per event id. A registration racing the event for the same phone makes
    /// the insert fail: ABORTED, so the relay retries and the retry finds the customer.
    private func applyEvent(_ eventID: String, _ body: @escaping (PostgresTransaction) async throws -> Void) async throws -> Bool {
        do {
            return try await pool.transaction { tx in
                guard try await processed.applyOnce(in: tx, eventID: eventID) else { return false }
                try await body(tx)
                return true
            }
        } catch where CustomerStore.isPhoneTaken(error) {
            throw RPCError(code: .aborted, message: "the customer was registered concurrently; retry the event")
        }
    }

    static func requireEventID(_ id: String) throws {
        guard !id.isEmpty, id.count <= 128 else { throw FieldViolations.error("event_id", "required: the event's id (1-128 characters)") }
    }
}
