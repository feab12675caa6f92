import Messages
import Postgres
import RPC
import ServiceAPI
import ServiceKitStore

/// The order area's events for other services (proto/xsc/orders/v1/events.proto), queued in
/// the outbox with the business change. The consumers (settlements, customers) may not exist
/// yet: the rows wait, retried, until a consumer answers. The outbox event id is also the
/// event's `event_id`, so a consumer records each event once however often it arrives.
struct OrderPublisher: Sendable {
    /// Where each event goes: the peer and the method its consumer implements.
    enum Route: CaseIterable, Sendable {
        case orderVisited, orderRefunded, violation, violationWithdrawn, customerSeen, referrerSeen, channelConflict

        /// The consumer's method, from its generated client (a renamed method fails the build).
        var methodPath: String {
            switch self {
            case .orderVisited: Xsc_Settlements_V1_SettlementServiceClient.Paths.recordOrderVisited
            case .orderRefunded: Xsc_Settlements_V1_SettlementServiceClient.Paths.recordOrderRefunded
            case .violation: Xsc_Settlements_V1_SettlementServiceClient.Paths.recordViolation
            case .violationWithdrawn: Xsc_Settlements_V1_SettlementServiceClient.Paths.recordViolationWithdrawn
            case .customerSeen: Xsc_Customers_V1_CustomerServiceClient.Paths.recordCustomerSeen
            case .referrerSeen: Xsc_Customers_V1_CustomerServiceClient.Paths.recordReferrerSeen
            case .channelConflict: Xsc_Settlements_V1_SettlementServiceClient.Paths.recordChannelConflict
            }
        }

        var peer: String {
            switch self {
            case .orderVisited, .orderRefunded, .violation, .violationWithdrawn, .channelConflict: "settlements"
            case .customerSeen, .referrerSeen: "customers"
            }
        }
    }

    let outbox: Outbox

    /// A new order names its customer (and maybe a referrer): customers records both.
    func orderSubmitted(_ order: OrderRecord, submitter: SubmitterFacts, in tx: PostgresTransaction) async throws {
        _ = try await tx.run(orderSubmittedStatements(order, submitter: submitter))
    }

    /// The outbox rows of `orderSubmitted` as statements, for a caller that sends them in one
    /// round trip with the rest of its transaction.
    func orderSubmittedStatements(_ order: OrderRecord, submitter: SubmitterFacts) -> [PostgresStatement] {
        let eventID = Outbox.makeEventID()
        var statements = [statement(.customerSeen, OrderEvents.customerSeen(order, submitter: submitter, eventID: eventID),
                                    eventID: eventID)]
        guard !order.referrerCode.isEmpty else { return statements }
        let referrerEventID = Outbox.makeEventID()
        statements.append(statement(.referrerSeen, OrderEvents.referrerSeen(order, eventID: referrerEventID), eventID: referrerEventID))
        return statements
    }

    func visited(_ order: OrderRecord, by account: String, in tx: PostgresTransaction) async throws {
        let eventID = Outbox.makeEventID()
        try await publish(.orderVisited, OrderEvents.visited(order, by: account, eventID: eventID), eventID: eventID, in: tx)
    }

    func refunded(_ order: OrderRecord, by account: String, reason: String, in tx: PostgresTransaction) async throws {
        let eventID = Outbox.makeEventID()
        try await publish(.orderRefunded, OrderEvents.refunded(order, by: account, reason: reason, eventID: eventID),
                          eventID: eventID, in: tx)
    }

    /// `eventID` is made by the caller, which keeps it with the violation row.
    func violation(_ miss: SLAMiss, eventID: String, in tx: PostgresTransaction) async throws {
        try await publish(.violation, OrderEvents.violation(miss, eventID: eventID), eventID: eventID, in: tx)
    }

    func violationWithdrawn(_ withdrawal: SLAWithdrawal, eventID: String, in tx: PostgresTransaction) async throws {
        try await publish(.violationWithdrawn, OrderEvents.violationWithdrawn(withdrawal, eventID: eventID), eventID: eventID, in: tx)
    }

    /// A classed channel conflict (ChannelConflicts): settlements books it in the ledger.
    func channelConflict(_ flag: ChannelConflictStore.Row, in tx: PostgresTransaction) async throws {
        try await publish(.channelConflict, OrderEvents.channelConflict(flag), eventID: Outbox.makeEventID(), in: tx)
    }

    private func publish(_ route: Route, _ message: some RPCMessage, eventID: String, in tx: PostgresTransaction) async throws {
        try await outbox.enqueue(in: tx, destination: route.peer, methodPath: route.methodPath, message: message, eventID: eventID)
    }

    private func statement(_ route: Route, _ message: some RPCMessage, eventID: String) -> PostgresStatement {
        outbox.enqueueStatement(destination: route.peer, methodPath: route.methodPath, payload: message.serializedBytes(),
                                eventID: eventID)
    }
}

/// Who submitted an order, as the customers service needs it.
struct SubmitterFacts: Sendable {
    var accountID: String
    var isSalesperson: Bool
}

/// A missed person-step deadline, as recorded.
struct SLAMiss: Sendable {
    var order: OrderRecord
    var step: SLADeadlines.Step
    var responsible: [String]
    var escalatedTo: [String]
    var dueAtMillis: Int64
    var recordedAtMillis: Int64
}
