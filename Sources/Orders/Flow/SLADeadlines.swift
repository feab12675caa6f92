import Postgres
import ServiceKitStore

/// The five-minute rule as durable timers, one kind per person-step, subject = order id.
/// A transition cancels the step it completes and schedules the next; a firing that finds
/// the step still open records an SLA violation and escalates (see `SLAEscalation`).
struct SLADeadlines: Sendable {
    enum Step: String, CaseIterable, Sendable {
        /// An office lead (state received) or the assigned district lead must acknowledge.
        case acknowledge = "order.ack_deadline"
        /// The lead who acknowledged must assign.
        case assign = "order.assign_deadline"
        /// The assigned dealer must accept.
        case accept = "order.accept_deadline"

        /// As the escalation SMS names it.
        var stageName: String {
            switch self {
            case .acknowledge: "确认接单"
            case .assign: "转派"
            case .accept: "经销商接单"
            }
        }
    }

    let timers: Timers

    func start(_ step: Step, orderID: String, routing: Routing, now: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([try startStatement(step, orderID: orderID, routing: routing, now: now)])
    }

    /// `start` as a statement, for a caller that sends it with the rest of its transaction.
    func startStatement(_ step: Step, orderID: String, routing: Routing, now: Int64) throws -> PostgresStatement {
        try timers.scheduleStatement(kind: step.rawValue, subjectID: orderID, dueAtMillis: now + Int64(routing.slaSeconds) * 1000)
    }

    func finish(_ step: Step, orderID: String, in tx: PostgresTransaction) async throws {
        _ = try await timers.cancel(in: tx, kind: step.rawValue, subjectID: orderID)
    }

    /// When the step's deadline is, if its timer is still pending.
    func pendingDue(_ step: Step, orderID: String, in tx: PostgresTransaction) async throws -> Int64? {
        try await timers.pendingDue(in: tx, kind: step.rawValue, subjectID: orderID)
    }

    func finishAll(orderID: String, in tx: PostgresTransaction) async throws {
        for step in Step.allCases { try await finish(step, orderID: orderID, in: tx) }
    }
}
