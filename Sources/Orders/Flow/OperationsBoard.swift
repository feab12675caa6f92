import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit

/// The operations board (issue 20, board.proto): the orders still being worked that the caller
/// reads in full, each in its lane with the running step's deadline and who owes it, and the
/// violations recorded today (the organisation's day). GetBoard answers this snapshot; WatchBoard
/// starts with it and goes on with changes (`BoardHub`). Nothing here is stored for the board: it
/// is read from the order area's own records - the order, the SLA's durable timers, the misses
/// and the undelivered prompts (`BoardPlacement` decides the lane).
extension OrderFlow {
    /// A snapshot's rows and violations at most (oldest first); `truncated` says when more exist.
    static let boardMaxRows = 2_000

    public func board(_ request: Xsc_Orders_V1_BoardRequest, actor: VerifiedActor) async throws -> Xsc_Orders_V1_BoardUpdate {
        try await boardSnapshot(try boardAudience(request, actor: actor))
    }

    func boardAudience(_ request: Xsc_Orders_V1_BoardRequest, actor: VerifiedActor) throws -> BoardAudience {
        BoardAudience(actor: actor, region: try BoardAudience.region(request.regionId, actor: actor), mineOnly: request.mineOnly)
    }

    func boardSnapshot(_ audience: BoardAudience) async throws -> Xsc_Orders_V1_BoardUpdate {
        let now = clock()
        let today = calendar.day(containing: now)
        let boardStore = BoardStore()
        // One snapshot of the database for all of the board's reads (read only: repeatable read
        // never fails a reader), so a row, its timers and its violations agree.
        let (placed, violations, truncated) = try await pool.transaction(isolation: .repeatableRead) { tx in
            let orders = try await boardStore.openOrders(viewer: audience.viewer, region: audience.region,
                                                         limit: Self.boardMaxRows + 1, in: tx)
            let violations = try await boardStore.violations(viewer: audience.viewer, region: audience.region, from: today.startMillis,
                                                             to: today.endMillis, limit: Self.boardMaxRows + 1, in: tx)
            let kept = Array(orders.prefix(Self.boardMaxRows))
            let placed = try await placeOnBoard(kept, alsoReaching: violations.map(\.violation.orderId), in: tx)
            return (placed, violations.prefix(Self.boardMaxRows).map { placed.entry(of: $0) },
                    orders.count > Self.boardMaxRows || violations.count > Self.boardMaxRows)
        }
        var update = Xsc_Orders_V1_BoardUpdate()
        update.snapshot = true
        update.rows = try await named(placed.entries).compactMap(audience.row(for:))
        update.violations = violations.filter(audience.sees).map(\.violation)
        update.truncated = truncated
        update.serverTimeMs = now
        return update
    }

    /// The board's entries and today's violations of the orders `ids` as they stand now, in any
    /// state (a watch's changes: an order that left the board is in lane GONE).
    func boardChanges(of ids: [String]) async throws -> (entries: [BoardEntry], violations: [BoardViolationEntry]) {
        let today = calendar.day(containing: clock())
        let boardStore = BoardStore()
        let (placed, violations) = try await pool.transaction(isolation: .repeatableRead) { tx in
            let orders = try await boardStore.orders(ids, in: tx)
            let violations = try await boardStore.violations(of: ids, from: today.startMillis, to: today.endMillis, in: tx)
            let placed = try await placeOnBoard(orders, alsoReaching: [], in: tx)
            return (placed, violations.map { placed.entry(of: $0) })
        }
        return (try await named(placed.entries), violations)
    }

    /// Orders placed on the board, and the participants of every order read (violations' too).
    struct PlacedOrders: Sendable {
        var entries: [BoardEntry]
        var participants: [String: Set<String>]

        func entry(of row: BoardStore.ViolationRow) -> BoardViolationEntry {
            let id = row.violation.orderId
            return BoardViolationEntry(violation: row.violation,
                                       reach: BoardReach(regionID: row.regionID, creditedTeamPath: row.creditedTeamPath,
                                                         participants: participants[id] ?? []))
        }
    }

    /// Places `orders` on the board in `tx`: their facts and routings in two round trips, then
    /// `BoardPlacement`. `alsoReaching`: further orders whose participants are needed (those of
    /// today's violations that are no longer on the board).
    func placeOnBoard(_ orders: [BoardStore.Counted], alsoReaching: [String], in tx: PostgresTransaction) async throws -> PlacedOrders {
        let facts = try await BoardStore().facts(of: Array(Set(orders.map(\.order.id) + alsoReaching)), in: tx)
        let routings = try await boardRoutings(Set(orders.map(\.order.districtID)), in: tx)
        let entries = orders.map { order, itemCount in
            let orderFacts = BoardFacts(order: order, open: Self.boardStep(order, routing: routings[order.districtID]),
                                        timers: facts.timers[order.id] ?? [], misses: facts.misses[order.id] ?? [],
                                        undelivered: facts.undelivered[order.id] ?? [])
            let placement = BoardPlacement.place(orderFacts)
            let onBoard = placement.lane != .gone
            return BoardEntry(row: BoardPlacement.row(orderFacts, itemCount: itemCount, placement: placement),
                              responsible: onBoard ? orderFacts.open?.responsible ?? [] : [],
                              step: onBoard ? orderFacts.open?.step : nil,
                              reach: BoardReach(regionID: order.regionID, creditedTeamPath: order.creditedTeamPath,
                                                participants: facts.participants[order.id] ?? []))
        }
        return PlacedOrders(entries: entries, participants: facts.participants)
    }

    /// The step `order` waits for and who owes it: the SLA's open person-step (the escalation's
    /// own rule, `openStep`), or the dealer's delivery once accepted; nil off the board.
    static func boardStep(_ order: OrderRecord, routing: Routing?) -> (step: BoardStep, responsible: [String], timed: Bool)? {
        guard BoardPlacement.states.contains(order.state) else { return nil }
        if let routing {
            for step in SLADeadlines.Step.allCases {
                if let (responsible, _) = openStep(step, order: order, routing: routing) {
                    return (.sla(step), responsible, SLADeadlines.isTimed(step, routing))
                }
            }
        }
        return order.state == .accepted ? (.deliver, [order.assigneeAccountID], false) : nil
    }

    /// The routings of `districts`, all in one round trip.
    func boardRoutings(_ districts: Set<String>, in tx: PostgresTransaction) async throws -> [String: Routing] {
        let ordered = districts.sorted()
        guard !ordered.isEmpty else { return [:] }
        let results = try await tx.run(ordered.flatMap { catalog.routingStatements(district: $0) })
        var routings: [String: Routing] = [:]
        for (index, district) in ordered.enumerated() {
            routings[district] = try catalog.routing(district: district, from: results[(index * 2)..<(index * 2 + 2)])
        }
        return routings
    }

    /// The entries with the directory's names of the people responsible (read outside the
    /// board's transaction: it holds a pooled connection, the directory takes another).
    func named(_ entries: [BoardEntry]) async throws -> [BoardEntry] {
        let ids = Set(entries.flatMap(\.responsible))
        guard !ids.isEmpty else { return entries }
        var names: [String: String] = [:]
        for account in try await directory.accounts(ids: ids.sorted()) { names[account.id] = account.name }
        return entries.map { entry in
            var entry = entry
            entry.row.responsibleName = BoardPlacement.responsibleName(entry.responsible, names: names)
            return entry
        }
    }
}
