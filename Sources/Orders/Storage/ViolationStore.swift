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

    /// The standing misses on the order recorded against `account` (any step), locked.
    func standingMisses(orderID: String, account: String, in tx: PostgresTransaction) async throws -> [(step: String, standing: Standing)] {
        let rows = try await tx.query("""
            SELECT id, event_id, responsible_account_ids, due_at, escalated_to, step FROM sla_violations
            WHERE order_id = $1 AND responsible_account_ids = $2 AND withdrawn_at IS NULL
            ORDER BY id FOR UPDATE
            """, [.text(orderID), .text(account)])
        return try rows.map { row in
            (try row.decode(String.self, column: "step"),
             Standing(id: try row.decode(Int64.self, at: 0), eventID: try row.decode(String.self, at: 1),
                      responsible: [account],
                      escalatedTo: try row.decode(String.self, at: 4).split(separator: ",").map(String.init),
                      dueAtMillis: try row.decode(Int64.self, at: 3)))
        }
    }

    /// Records an undelivered prompt once per message; false when it was recorded before.
    func recordUndelivered(messageID: String, orderID: String, account: String, reason: String, at: Int64,
                           in tx: PostgresTransaction) async throws -> Bool {
        try await !tx.query("""
            INSERT INTO undelivered_prompts (message_id, order_id, account_id, reason, reported_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (message_id) DO NOTHING RETURNING 1
            """, [.text(messageID), .text(orderID), .text(account), .text(reason), .timestampMillis(at)]).isEmpty
    }

    /// The accounts of the order whose prompt was reported undelivered.
    func undeliveredAccounts(orderID: String, in tx: PostgresTransaction) async throws -> Set<String> {
        Set(try await tx.query("SELECT account_id FROM undelivered_prompts WHERE order_id = $1", [.text(orderID)])
            .map { try $0.decode(String.self, at: 0) })
    }

    func withdrawStatement(id: Int64, at: Int64, eventID: String, reason: String) -> PostgresStatement {
        PostgresStatement("""
            UPDATE sla_violations SET withdrawn_at = $2, withdrawal_event_id = $3, withdrawal_reason = $4
            WHERE id = $1 AND withdrawn_at IS NULL
            """, [.int64(id), .timestampMillis(at), .text(eventID), .text(reason)])
    }
}
