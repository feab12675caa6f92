import Messages
import Postgres

/// The operations board's reads: the orders on a caller's board, the facts that place them
/// (participants, SLA timers, misses, undelivered prompts), today's violations, and the order
/// feed's positions that tell the watch what changed.
struct BoardStore: Sendable {
    /// An order with the sum of its lines' quantities.
    typealias Counted = (order: OrderRecord, itemCount: Int32)

    private static let countedColumns = """
        \(OrderRecord.columns),
        (SELECT COALESCE(sum(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id)::integer AS item_count
        """

    /// The orders on the board the viewer reads in full, in `region` ('' every region), oldest
    /// first (the longest waiting matter most), `limit` at most.
    func openOrders(viewer: OrderViewer, region: String, limit: Int, in tx: PostgresTransaction) async throws -> [Counted] {
        let rows = try await tx.query("""
            SELECT \(Self.countedColumns)
            FROM orders o
            WHERE o.state = ANY($4::text[]) AND ($5 = '' OR o.region_id = $5) AND \(OrderViewer.sqlFullCondition)
            ORDER BY o.created_at, o.id
            LIMIT $6
            """, viewer.sqlFullParameters + [.textArray(BoardPlacement.storedStates), .text(region), .int(limit)])
        return try rows.map(Self.counted)
    }

    /// Orders by id, in any state (a watch's changed orders: one that left the board is GONE).
    func orders(_ ids: [String], in tx: PostgresTransaction) async throws -> [Counted] {
        guard !ids.isEmpty else { return [] }
        return try await tx.query("SELECT \(Self.countedColumns) FROM orders o WHERE o.id = ANY($1::text[])",
                                  [.textArray(ids)]).map(Self.counted)
    }

    private static func counted(_ row: PostgresRow) throws -> Counted {
        (try OrderRecord(row: row), try row.decode(Int32.self, column: "item_count"))
    }

    /// What places the orders `ids` on the board, in one round trip.
    struct Facts: Sendable {
        var participants: [String: Set<String>] = [:]
        var timers: [String: [BoardTimer]] = [:]
        var misses: [String: [BoardMiss]] = [:]
        var undelivered: [String: [BoardUndelivered]] = [:]
    }

    /// The timer kinds of the SLA steps and of the escalation ladder.
    static let timerKinds = SLADeadlines.Step.allCases.map(\.rawValue) + [SLADeadlines.escalationKind]

    func facts(of ids: [String], in tx: PostgresTransaction) async throws -> Facts {
        var facts = Facts()
        guard !ids.isEmpty else { return facts }
        let results = try await tx.run([
            PostgresStatement("SELECT order_id, account_id FROM order_participants WHERE order_id = ANY($1::text[])", [.textArray(ids)]),
            // The orders' own rows of the platform's durable timers (xsc_timers, this schema):
            // the running step's deadline and whether it fired, the escalation hop's payload.
            PostgresStatement("""
                SELECT subject_id, kind, due_at, state = 'fired' AS fired, payload FROM xsc_timers
                WHERE subject_id = ANY($1::text[]) AND kind = ANY($2::text[])
                """, [.textArray(ids), .textArray(Self.timerKinds)]),
            PostgresStatement("""
                SELECT order_id, step, due_at, escalated_to <> '' AS escalated FROM sla_violations
                WHERE order_id = ANY($1::text[]) AND withdrawn_at IS NULL
                """, [.textArray(ids)]),
            PostgresStatement("""
                SELECT order_id, account_id, reason, reported_at FROM undelivered_prompts
                WHERE order_id = ANY($1::text[]) ORDER BY reported_at
                """, [.textArray(ids)]),
        ])
        for row in results[0] {
            facts.participants[try row.decode(String.self, at: 0), default: []].insert(try row.decode(String.self, at: 1))
        }
        for row in results[1] {
            let timer = BoardTimer(kind: try row.decode(String.self, column: "kind"), dueAtMillis: try row.decode(Int64.self, column: "due_at"),
                                   fired: try row.decode(Bool.self, column: "fired"),
                                   payload: String(decoding: try row.decode([UInt8].self, column: "payload"), as: UTF8.self))
            facts.timers[try row.decode(String.self, column: "subject_id"), default: []].append(timer)
        }
        for row in results[2] {
            let miss = BoardMiss(step: try row.decode(String.self, column: "step"), dueAtMillis: try row.decode(Int64.self, column: "due_at"),
                                 escalated: try row.decode(Bool.self, column: "escalated"))
            facts.misses[try row.decode(String.self, column: "order_id"), default: []].append(miss)
        }
        for row in results[3] {
            let report = BoardUndelivered(accountID: try row.decode(String.self, column: "account_id"),
                                          reason: try row.decode(String.self, column: "reason"),
                                          reportedAtMillis: try row.decode(Int64.self, column: "reported_at"))
            facts.undelivered[try row.decode(String.self, column: "order_id"), default: []].append(report)
        }
        return facts
    }

    /// A violation recorded on the board's day, with what decides who sees it.
    struct ViolationRow: Sendable {
        var violation: Xsc_Orders_V1_BoardViolation
        var regionID: String
        var creditedTeamPath: String
    }

    private static let violationColumns = """
        v.id, v.order_id, o.code, v.step, v.responsible_account_ids, v.due_at, v.recorded_at,
        v.withdrawn_at IS NOT NULL AS withdrawn, o.region_id, o.credited_team_path
        """

    /// The violations recorded in [from, to) on orders the viewer reads in full, in `region`,
    /// oldest first, `limit` at most.
    func violations(viewer: OrderViewer, region: String, from: Int64, to: Int64, limit: Int,
                    in tx: PostgresTransaction) async throws -> [ViolationRow] {
        try await tx.query("""
            SELECT \(Self.violationColumns)
            FROM sla_violations v JOIN orders o ON o.id = v.order_id
            WHERE v.recorded_at >= $4 AND v.recorded_at < $5 AND ($6 = '' OR o.region_id = $6) AND \(OrderViewer.sqlFullCondition)
            ORDER BY v.recorded_at, v.id
            LIMIT $7
            """, viewer.sqlFullParameters + [.timestampMillis(from), .timestampMillis(to), .text(region), .int(limit)])
            .map(Self.violation)
    }

    /// The violations recorded in [from, to) on the orders `ids` (a watch's changed orders).
    func violations(of ids: [String], from: Int64, to: Int64, in tx: PostgresTransaction) async throws -> [ViolationRow] {
        guard !ids.isEmpty else { return [] }
        return try await tx.query("""
            SELECT \(Self.violationColumns)
            FROM sla_violations v JOIN orders o ON o.id = v.order_id
            WHERE v.order_id = ANY($1::text[]) AND v.recorded_at >= $2 AND v.recorded_at < $3
            ORDER BY v.recorded_at, v.id
            """, [.textArray(ids), .timestampMillis(from), .timestampMillis(to)]).map(Self.violation)
    }

    private static func violation(_ row: PostgresRow) throws -> ViolationRow {
        var violation = Xsc_Orders_V1_BoardViolation()
        violation.id = String(try row.decode(Int64.self, column: "id"))
        violation.orderId = try row.decode(String.self, column: "order_id")
        violation.orderCode = try row.decode(String.self, column: "code")
        let step = try row.decode(String.self, column: "step")
        violation.step = SLADeadlines.Step(rawValue: step)?.boardName ?? step
        // One person per row since migration 0008; older rows list several, comma-separated.
        violation.responsibleAccountIds = try row.decode(String.self, column: "responsible_account_ids")
            .split(separator: ",").map(String.init)
        violation.dueAtMs = try row.decode(Int64.self, column: "due_at")
        violation.recordedAtMs = try row.decode(Int64.self, column: "recorded_at")
        violation.withdrawn = try row.decode(Bool.self, column: "withdrawn")
        return ViolationRow(violation: violation, regionID: try row.decode(String.self, column: "region_id"),
                            creditedTeamPath: try row.decode(String.self, column: "credited_team_path"))
    }

    /// What changed after feed position `after`: the orders whose events were positioned after
    /// it (first seen first), the last position read, and whether `limit` cut the read short.
    /// One round trip: the feed's sequencer (`FeedStore`) positions what has committed, then the
    /// read - so an event committing late is never passed over.
    /// Also the catalog's version (migration 0014: bumped by any change to routing, prices or
    /// the directory), which no order's event marks.
    func changes(after: Int64, limit: Int, pool: PostgresPool)
        async throws -> (orderIDs: [String], position: Int64, more: Bool, catalogVersion: Int64) {
        let results = try await pool.transaction(batch: FeedStore.sequenceStatements + [
            PostgresStatement("SELECT version FROM orders_catalog_version"),
            PostgresStatement("""
                SELECT order_id, feed_position FROM order_events WHERE feed_position > $1 ORDER BY feed_position LIMIT $2
                """, [.int64(after), .int(limit)]),
        ])
        var ids: [String] = []
        var seen: Set<String> = []
        var position = after
        for row in results.last ?? .empty() {
            let id = try row.decode(String.self, at: 0)
            if seen.insert(id).inserted { ids.append(id) }
            position = max(position, try row.decode(Int64.self, at: 1))
        }
        let version = try results.dropLast().last?.first?.decode(Int64.self, at: 0) ?? 0
        return (ids, position, (results.last?.count ?? 0) >= limit, version)
    }

    /// The feed's newest position once everything committed is positioned: where a watch
    /// starts (its snapshot, read afterwards, holds everything up to here).
    func currentPosition(pool: PostgresPool) async throws -> Int64 {
        let results = try await pool.transaction(batch: FeedStore.sequenceStatements + [
            PostgresStatement("SELECT COALESCE(max(feed_position), 0) FROM order_events"),
        ])
        return try results.last?.first?.decode(Int64.self, at: 0) ?? 0
    }
}
