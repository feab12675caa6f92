import DomainKit
import Messages
import ServiceKit

/// One caller's board: the orders it reads in full (ListOrders' rule, `OrderViewer`, narrowed to
/// full access - every row names our people and the violations are the organisation's own
/// records, so a referrer's or a partner's limited view of an order puts nothing on a board),
/// within the region it asked for, only its own next steps when `mineOnly`. Pure: the snapshot
/// and every watcher's changes go through the same `row(for:)` and `sees(_:)`.
struct BoardAudience: Sendable {
    var viewer: OrderViewer
    /// The region asked for; "" for every region the caller reaches.
    var region: String
    var mineOnly: Bool
    /// The caller may make return visits without being the office's lead: the region's customer
    /// service (RecordReturnVisit's rule, `VerifiedActor.visitsAsSupervisor`).
    var visitsAsSupervisor: Bool

    init(actor: VerifiedActor, region: String, mineOnly: Bool) {
        viewer = OrderViewer(actor)
        self.region = region
        self.mineOnly = mineOnly
        visitsAsSupervisor = actor.visitsAsSupervisor
    }

    /// The region a board request may name: staff their own region (or none), HQ any. Another
    /// region is refused as ListChannelConflicts refuses it - the same answer for every other
    /// value, so it tells nothing about which regions exist.
    static func region(_ requested: String, actor: VerifiedActor) throws -> String {
        let region = requested.trimmedForPeople
        guard !region.isEmpty else { return "" }
        let atHQ = actor.seesTeamOrders && (actor.teamPath == OrgPath.root || actor.teamPath == "/")
        guard atHQ || region == actor.regionCode else {
            throw FieldViolations.error("region_id", actor.regionCode.map { "your own region (\($0)) or empty" } ?? "leave it empty")
        }
        return region
    }

    func sees(_ reach: BoardReach) -> Bool {
        guard !viewer.accountID.isEmpty, region.isEmpty || reach.regionID == region else { return false }
        return viewer.reachesTeam(reach.creditedTeamPath) || reach.participants.contains(viewer.accountID)
    }

    /// Whether the step the order waits for is the caller's to take.
    func isActionable(_ entry: BoardEntry) -> Bool {
        guard entry.row.lane != .gone else { return false }
        if entry.responsible.contains(viewer.accountID) { return true }
        return entry.step == .sla(.returnVisit) && visitsAsSupervisor
    }

    /// The caller's row of `entry`; nil when the caller does not see it on this board.
    func row(for entry: BoardEntry) -> Xsc_Orders_V1_BoardRow? {
        guard entry.row.lane != .gone, sees(entry.reach) else { return nil }
        var row = entry.row
        row.actionableByCaller = isActionable(entry)
        return mineOnly && !row.actionableByCaller ? nil : row
    }

    func sees(_ violation: BoardViolationEntry) -> Bool {
        sees(violation.reach) && (!mineOnly || violation.violation.responsibleAccountIds.contains(viewer.accountID))
    }

    /// A watcher's message for changed orders and violations: rows the caller sees, and a GONE
    /// row for each order it was shown that has left its board (off the board altogether, or no
    /// longer its next step under `mineOnly`). `shown` is the watcher's set of order ids on screen.
    func changes(_ entries: [BoardEntry], _ violations: [BoardViolationEntry],
                 shown: inout Set<String>) -> Xsc_Orders_V1_BoardUpdate {
        var update = Xsc_Orders_V1_BoardUpdate()
        for entry in entries {
            let id = entry.row.orderId
            if let row = row(for: entry) {
                shown.insert(id)
                update.rows.append(row)
            } else if shown.remove(id) != nil {
                update.rows.append(Self.gone(entry.row))
            }
        }
        update.violations = violations.filter(sees).map(\.violation)
        return update
    }

    /// The row that takes an order off a page: its id and code, nothing else about it.
    static func gone(_ row: Xsc_Orders_V1_BoardRow) -> Xsc_Orders_V1_BoardRow {
        var gone = Xsc_Orders_V1_BoardRow()
        gone.orderId = row.orderId
        gone.orderCode = row.orderCode
        gone.lane = .gone
        gone.state = row.state
        gone.updatedAtMs = row.updatedAtMs
        return gone
    }
}

/// Who may see an order in full: its credited team's reach and its participants (`OrderViewer`),
/// and its region (a board request's narrowing).
struct BoardReach: Sendable, Equatable {
    var regionID: String
    var creditedTeamPath: String
    var participants: Set<String>
}

/// One order placed on the board, the same for every caller.
struct BoardEntry: Sendable {
    /// `actionable_by_caller` unset (the audience sets it); lane GONE when off the board.
    var row: Xsc_Orders_V1_BoardRow
    var responsible: [String]
    var step: BoardStep?
    var reach: BoardReach
}

/// One of today's violations with the reach of its order.
struct BoardViolationEntry: Sendable {
    var violation: Xsc_Orders_V1_BoardViolation
    var reach: BoardReach
}
