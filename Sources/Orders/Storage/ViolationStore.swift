import Postgres

/// Reads and writes of `sla_violations`: the misses the deadline timers record, and their
/// withdrawal when the step turns out to have been done in time.
struct ViolationStore: Sendable {
    /// A recorded miss still standing, as a withdrawal needs it.
    struct Standing: Sendable {
        var id: Int64
        var eventID: String
        var responsible: [String]
        /// The superiors the escalation SMS went to.
        var escalatedTo: [String]
        var dueAtMillis: Int64
    }

    func insertStatement(_ miss: SLAMiss, eventID: String) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO sla_violations (order_id, step, responsible_account_ids, escalated_to, due_at, recorded_at, event_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(miss.order.id), .text(miss.step.rawValue), .text(miss.responsible.joined(separator: ",")),
                  .text(miss.escalatedTo.joined(separator: ",")), .timestampMillis(miss.dueAtMillis),
                  .timestampMillis(miss.recordedAtMillis), .text(eventID)])
    }

    /// The standing misses of `step` on the order whose deadline was not yet over at `doneAt`,
    /// locked (the order row is locked too, so a redelivery waits and then finds none).
    func standingMisses(orderID: String, step: SLADeadlines.Step, dueNotBefore doneAt: Int64,
                        in tx: PostgresTransaction) async throws -> [Standing] {
        let rows = try await tx.query("""
            SELECT id, event_id, responsible_account_ids, due_at, escalated_to FROM sla_violations
            WHERE order_id = $1 AND step = $2 AND withdrawn_at IS NULL AND due_at >= $3
            ORDER BY id FOR UPDATE
            """, [.text(orderID), .text(step.rawValue), .timestampMillis(doneAt)])
        return try rows.map { row in
            Standing(id: try row.decode(Int64.self, at: 0), eventID: try row.decode(String.self, at: 1),
                     responsible: try row.decode(String.self, at: 2).split(separator: ",").map(String.init),
                     escalatedTo: try row.decode(String.self, at: 4).split(separator: ",").map(String.init),
                     dueAtMillis: try row.decode(Int64.self, at: 3))
        }
    }

    func withdrawStatement(id: Int64, at: Int64, eventID: String, reason: String) -> PostgresStatement {
        PostgresStatement("""
            UPDATE sla_violations SET withdrawn_at = $2, withdrawal_event_id = $3, withdrawal_reason = $4
            WHERE id = $1 AND withdrawn_at IS NULL
            """, [.int64(id), .timestampMillis(at), .text(eventID), .text(reason)])
    }
}
