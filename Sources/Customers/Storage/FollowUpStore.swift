import Messages
import Postgres

/// `follow_ups` and `follow_up_tasks`.
struct FollowUpStore: Sendable {
    struct NewFollowUp: Sendable {
        var id: String
        var customerID: String
        var author: String
        var channel: Int32
        var content: String
        var outcome: Int32
        var nextAt: Int64?
        var asked: [String]
        var at: Int64
    }

    static let columns = """
        f.id, f.customer_id, f.author_account_id, f.channel, f.content, f.outcome, f.next_follow_up_at,
        array_to_string(f.asked_account_ids, E'\\x1f') AS asked, f.created_at
        """

    func insert(_ new: NewFollowUp, in tx: PostgresTransaction) async throws -> Xsc_Customers_V1_FollowUp {
        let rows = try await tx.query("""
            INSERT INTO follow_ups AS f (id, customer_id, author_account_id, channel, content, outcome, next_follow_up_at,
                                         asked_account_ids, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, string_to_array($8, E'\\x1f'), $9)
            RETURNING \(Self.columns)
            """, [.text(new.id), .text(new.customerID), .text(new.author), .int32(new.channel), .text(new.content),
                  .int32(new.outcome), new.nextAt.map { .timestampMillis($0) } ?? .null,
                  .text(new.asked.joined(separator: CustomerRecord.separator)), .timestampMillis(new.at)])
        return try Self.followUp(rows[0])
    }

    func list(customerID: String, after cursor: PageCursor?, limit: Int, pool: PostgresPool) async throws -> [Xsc_Customers_V1_FollowUp] {
        try await pool.query("""
            SELECT \(Self.columns) FROM follow_ups f WHERE f.customer_id = $1
              AND ($2::timestamptz IS NULL OR (f.created_at, f.id) < ($2::timestamptz, $3))
            ORDER BY f.created_at DESC, f.id DESC LIMIT $4
            """, [.text(customerID), cursor.map { .timestampMillis($0.millis) } ?? .null, .text(cursor?.id ?? ""), .int(limit)])
            .map(Self.followUp)
    }

    func list(customerID: String, after cursor: PageCursor?, limit: Int, in tx: PostgresTransaction) async throws -> [Xsc_Customers_V1_FollowUp] {
        try await tx.query("""
            SELECT \(Self.columns) FROM follow_ups f WHERE f.customer_id = $1
              AND ($2::timestamptz IS NULL OR (f.created_at, f.id) < ($2::timestamptz, $3))
            ORDER BY f.created_at DESC, f.id DESC LIMIT $4
            """, [.text(customerID), cursor.map { .timestampMillis($0.millis) } ?? .null, .text(cursor?.id ?? ""), .int(limit)])
            .map(Self.followUp)
    }

    static func followUp(_ row: PostgresRow) throws -> Xsc_Customers_V1_FollowUp {
        var followUp = Xsc_Customers_V1_FollowUp()
        followUp.id = try row.decode(column: "id")
        followUp.customerId = try row.decode(column: "customer_id")
        followUp.authorAccountId = try row.decode(column: "author_account_id")
        followUp.channel = Xsc_Customers_V1_Channel(rawValue: Int32(try row.decode(Int.self, column: "channel")))
        followUp.content = try row.decode(column: "content")
        followUp.outcome = Xsc_Customers_V1_Outcome(rawValue: Int32(try row.decode(Int.self, column: "outcome")))
        followUp.nextFollowUpAtMs = try row.decode(Int64?.self, column: "next_follow_up_at") ?? 0
        followUp.askedAccountIds = CustomerRecord.split(try row.decode(column: "asked"))
        followUp.createdAtMs = try row.decode(column: "created_at")
        return followUp
    }

    // MARK: tasks

    static let taskColumns = """
        t.id, t.follow_up_id, t.customer_id, c.name AS customer_name, t.assignee_account_id, t.asked_by, t.state,
        t.created_at, t.done_at, t.team_path
        """

    func insertTask(id: String, followUpID: String, customerID: String, team: String, assignee: String, askedBy: String,
                    at: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("""
            INSERT INTO follow_up_tasks (id, follow_up_id, customer_id, team_path, assignee_account_id, asked_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(id), .text(followUpID), .text(customerID), .text(team), .text(assignee), .text(askedBy), .timestampMillis(at)])
    }

    func tasks(ofFollowUp id: String, in tx: PostgresTransaction) async throws -> [Xsc_Customers_V1_Task] {
        try await tx.query("""
            SELECT \(Self.taskColumns) FROM follow_up_tasks t JOIN customers c ON c.id = t.customer_id
            WHERE t.follow_up_id = $1 ORDER BY t.id
            """, [.text(id)]).map { try Self.task($0).task }
    }

    /// The assignee's tasks in its current team, oldest first.
    func tasks(of assignee: String, team: String, includeDone: Bool, after cursor: PageCursor?, limit: Int,
               pool: PostgresPool) async throws -> [Xsc_Customers_V1_Task] {
        try await pool.query("""
            SELECT \(Self.taskColumns) FROM follow_up_tasks t JOIN customers c ON c.id = t.customer_id
            WHERE t.assignee_account_id = $1 AND t.team_path = $2 AND ($3 OR t.state = 'open')
              AND ($4::timestamptz IS NULL OR (t.created_at, t.id) > ($4::timestamptz, $5))
            ORDER BY t.created_at, t.id LIMIT $6
            """, [.text(assignee), .text(team), .bool(includeDone), cursor.map { .timestampMillis($0.millis) } ?? .null,
                  .text(cursor?.id ?? ""), .int(limit)]).map { try Self.task($0).task }
    }

    func loadTask(_ id: String, in tx: PostgresTransaction) async throws -> (task: Xsc_Customers_V1_Task, team: String)? {
        guard CustomerStore.isPlausibleID(id) else { return nil }
        return try await tx.query("""
            SELECT \(Self.taskColumns) FROM follow_up_tasks t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1 FOR UPDATE OF t
            """, [.text(id)]).first.map(Self.task)
    }

    func completeTask(_ id: String, at: Int64, in tx: PostgresTransaction) async throws {
        _ = try await tx.execute("UPDATE follow_up_tasks SET state = 'done', done_at = $2 WHERE id = $1 AND state = 'open'",
                                 [.text(id), .timestampMillis(at)])
    }

    static func task(_ row: PostgresRow) throws -> (task: Xsc_Customers_V1_Task, team: String) {
        var task = Xsc_Customers_V1_Task()
        task.id = try row.decode(column: "id")
        task.followUpId = try row.decode(column: "follow_up_id")
        task.customerId = try row.decode(column: "customer_id")
        task.customerName = try row.decode(column: "customer_name")
        task.assigneeAccountId = try row.decode(column: "assignee_account_id")
        task.askedByAccountId = try row.decode(column: "asked_by")
        task.state = try row.decode(column: "state")
        task.createdAtMs = try row.decode(column: "created_at")
        task.doneAtMs = try row.decode(Int64?.self, column: "done_at") ?? 0
        return (task, try row.decode(column: "team_path"))
    }

    /// Moves follow-ups and tasks of a merged customer to the survivor; returns how many follow-ups.
    func move(from loser: String, to survivor: String, in tx: PostgresTransaction) async throws -> Int {
        let results = try await tx.run([
            PostgresStatement("UPDATE follow_ups SET customer_id = $2 WHERE customer_id = $1", [.text(loser), .text(survivor)]),
            PostgresStatement("UPDATE follow_up_tasks SET customer_id = $2 WHERE customer_id = $1", [.text(loser), .text(survivor)]),
        ])
        return results[0].affectedRows ?? 0
    }
}
