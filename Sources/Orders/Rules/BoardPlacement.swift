import Messages

/// Where an order stands on the operations board (board.proto), decided from what the order
/// area already records: the order's state, the durable timers of its SLA steps, the recorded
/// misses and the prompts the SMS provider reported undelivered. Pure: `OrderFlow+Board` reads
/// the facts, this places them, the same for every caller (`BoardAudience` adds the caller's part).
enum BoardPlacement {
    /// The states an order is on the board in; any other state (visited, cancelled, refunded)
    /// takes it off (lane GONE). An accepted order stays (WAITING, the dealer delivers, no
    /// deadline runs), so a row leaves only when the order's work is over.
    static let states: Set<OrderState> = [.received, .acknowledged, .assigned, .accepted, .delivered]

    /// The stored names of `states`, for the board's SQL.
    static var storedStates: [String] { states.map(\.storedName).sorted() }

    /// Where the order is, what is running and who is responsible.
    struct Placement: Sendable, Equatable {
        var lane: Xsc_Orders_V1_BoardLane
        var deadlineAtMillis: Int64 = 0
        var escalationLevel: Int32 = 0
        var note: String = ""
    }

    static func place(_ facts: BoardFacts) -> Placement {
        guard states.contains(facts.order.state), let open = facts.open else { return Placement(lane: .gone) }
        guard case .sla(let step) = open.step else {
            // Accepted: the dealer delivers; no SLA runs for delivery.
            return Placement(lane: .waiting)
        }
        let timer = open.timed ? facts.timers.first { $0.kind == step.rawValue } : nil
        var placement = Placement(lane: facts.order.state == .delivered ? .awaitingVisit : .waiting,
                                  deadlineAtMillis: timer?.dueAtMillis ?? 0)
        placement.escalationLevel = escalationLevel(step, timer: timer, facts: facts)
        // A report about a prompt of an earlier step (the same lead acknowledged since) is old news:
        // only reports that came after the order's last transition concern the step now open.
        let unreached = facts.undelivered.filter {
            open.responsible.contains($0.accountID) && $0.reportedAtMillis >= facts.order.updatedAtMillis
        }
        if let latest = unreached.max(by: { $0.reportedAtMillis < $1.reportedAtMillis }) {
            placement.lane = .promptUndelivered
            placement.note = latest.reason
        } else if timer?.fired == true {
            // The deadline passed while the step was open: the miss is recorded and the ladder runs.
            placement.lane = .escalated
        }
        return placement
    }

    /// The rungs of the step's escalation ladder prompted so far. The deadline's firing prompts
    /// the first (when someone owed the step and someone is above them: a miss row names whom it
    /// told); each hop timer of the same missed deadline ("<step>|<hop>|<due>") the next one -
    /// pending hop n: n rungs told, fired hop n: n + 1.
    static func escalationLevel(_ step: SLADeadlines.Step, timer: BoardTimer?, facts: BoardFacts) -> Int32 {
        guard let timer, timer.fired else { return 0 }
        if let hop = facts.timers.first(where: { $0.kind == SLADeadlines.escalationKind }) {
            let parts = hop.payload.split(separator: "|")
            if parts.count == 3, parts[0] == step.rawValue, Int64(parts[2]) == timer.dueAtMillis, let index = Int32(parts[1]) {
                return hop.fired ? index + 1 : index
            }
        }
        return facts.misses.contains { $0.step == step.rawValue && $0.dueAtMillis == timer.dueAtMillis && $0.escalated } ? 1 : 0
    }

    /// The board's row of a placed order (without the responsible person's name: `responsibleName`).
    static func row(_ facts: BoardFacts, itemCount: Int32, placement: Placement) -> Xsc_Orders_V1_BoardRow {
        let order = facts.order
        var row = Xsc_Orders_V1_BoardRow()
        row.orderId = order.id
        row.orderCode = order.code
        row.lane = placement.lane
        row.state = order.state.storedName
        row.source = order.source.storedName
        row.customerName = order.customerName
        row.districtId = order.districtID
        row.officeId = order.officeID
        row.totalFen = order.totalFen
        row.itemCount = itemCount
        row.responsibleAccountId = placement.lane == .gone ? "" : facts.open?.responsible.first ?? ""
        row.deadlineAtMs = placement.deadlineAtMillis
        row.escalationLevel = placement.escalationLevel
        row.note = placement.note
        row.createdAtMs = order.createdAtMillis
        row.updatedAtMs = order.updatedAtMillis
        return row
    }

    /// Who owes the step, as people read it: several office leads share a new order's step, so
    /// the page names them all; an account the directory has not brought (yet) shows as its id.
    static func responsibleName(_ responsible: [String], names: [String: String]) -> String {
        responsible.map { account in names[account].flatMap { $0.isEmpty ? nil : $0 } ?? account }.joined(separator: "、")
    }
}

/// The step an order waits for on the board: one of the SLA's person-steps, or the dealer's
/// delivery (no deadline).
enum BoardStep: Sendable, Equatable {
    case sla(SLADeadlines.Step)
    case deliver
}

/// Everything the board needs to know about one order.
struct BoardFacts: Sendable {
    var order: OrderRecord
    /// The open step, who owes it, and whether it has a deadline in the order's routing; nil when
    /// no step is open (the order is off the board).
    var open: (step: BoardStep, responsible: [String], timed: Bool)?
    /// The order's timers of the SLA steps and of the escalation ladder (any state).
    var timers: [BoardTimer]
    var misses: [BoardMiss]
    var undelivered: [BoardUndelivered]
}

/// One `xsc_timers` row of an order (kind = a step's or the escalation hop's).
struct BoardTimer: Sendable, Equatable {
    var kind: String
    var dueAtMillis: Int64
    /// The deadline passed and its handler ran (state fired).
    var fired: Bool
    var payload: String
}

/// A recorded miss (`sla_violations`) as placement needs it.
struct BoardMiss: Sendable, Equatable {
    var step: String
    var dueAtMillis: Int64
    /// The escalation SMS went to someone (the ladder's first rung).
    var escalated: Bool
}

/// A prompt the SMS provider reported undelivered (`undelivered_prompts`).
struct BoardUndelivered: Sendable, Equatable {
    var accountID: String
    var reason: String
    var reportedAtMillis: Int64
}

extension SLADeadlines.Step {
    /// As BoardViolation.step names it.
    var boardName: String {
        switch self {
        case .acknowledge: "acknowledge"
        case .assign: "forward"
        case .accept: "accept"
        case .returnVisit: "return_visit"
        }
    }
}
