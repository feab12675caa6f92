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
        /// The assigned dealer must accept - only where the region sets a dealer window
        /// (`region_settings.dealer_accept_seconds`); the five-minute rule binds the leads.
        case accept = "order.accept_deadline"
        /// After delivery, the office lead (or the region's customer service) must make the
        /// return visit within the region's `return_visit_seconds` (有开始必有结尾).
        case returnVisit = "order.visit_deadline"

        /// As the escalation SMS names it.
        var stageName: String {
            switch self {
            case .acknowledge: "确认接单"
            case .assign: "转派"
            case .accept: "经销商接单"
            case .returnVisit: "回访"
            }
        }
    }

    /// The next hop of an escalation ladder (subject = order id, payload = "<step>|<hop>").
    static let escalationKind = "order.escalation_hop"

    let timers: Timers

    func start(_ step: Step, orderID: String, routing: Routing, now: Int64, in tx: PostgresTransaction) async throws {
        guard Self.isTimed(step, routing) else { return }
        _ = try await tx.run([try startStatement(step, orderID: orderID, routing: routing, now: now)])
    }

    /// `start` as a statement, for a caller that sends it with the rest of its transaction.
    func startStatement(_ step: Step, orderID: String, routing: Routing, now: Int64) throws -> PostgresStatement {
        try timers.scheduleStatement(kind: step.rawValue, subjectID: orderID, dueAtMillis: now + Int64(Self.seconds(step, routing)) * 1000)
    }

    /// The step's window: the leads' SLA, the region's dealer window, the return visit's deadline.
    static func seconds(_ step: Step, _ routing: Routing) -> Int {
        switch step {
        case .acknowledge, .assign: routing.slaSeconds
        case .accept: routing.dealerAcceptSeconds
        case .returnVisit: routing.returnVisitSeconds
        }
    }

    /// Whether the step has a deadline at all in this routing (a dealer window of 0: none).
    static func isTimed(_ step: Step, _ routing: Routing) -> Bool { seconds(step, routing) > 0 }

    /// The next escalation hop, one SLA period from now; `dueAt` is the missed deadline (the
    /// SMS says how overdue the step is).
    func scheduleHop(_ step: Step, hop: Int, dueAt: Int64, orderID: String, routing: Routing, now: Int64,
                     in tx: PostgresTransaction) async throws {
        try await timers.schedule(in: tx, kind: Self.escalationKind, subjectID: orderID,
                                  dueAtMillis: now + Int64(routing.slaSeconds) * 1000,
                                  payload: Array("\(step.rawValue)|\(hop)|\(dueAt)".utf8))
    }

    /// Ends the step's timer and the escalation ladder climbing about it.
    func finish(_ step: Step, orderID: String, in tx: PostgresTransaction) async throws {
        _ = try await timers.cancel(in: tx, kind: step.rawValue, subjectID: orderID)
        _ = try await timers.cancel(in: tx, kind: Self.escalationKind, subjectID: orderID)
    }

    /// When the step's deadline is, if its timer is still pending.
    func pendingDue(_ step: Step, orderID: String, in tx: PostgresTransaction) async throws -> Int64? {
        try await timers.pendingDue(in: tx, kind: step.rawValue, subjectID: orderID)
    }

    /// Ends the steps' timers and any escalation ladder still climbing.
    func finishAll(orderID: String, in tx: PostgresTransaction) async throws {
        for step in Step.allCases { try await finish(step, orderID: orderID, in: tx) }
        _ = try await timers.cancel(in: tx, kind: Self.escalationKind, subjectID: orderID)
    }
}
