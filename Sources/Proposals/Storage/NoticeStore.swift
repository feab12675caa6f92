import Messages
import Postgres

/// Team notices, their reads and acknowledgements, and the questions under them.
struct NoticeStore: Sendable {
    struct NoticeRecord: Sendable {
        var id: String
        var teamPath: String
        var author: String
        var title: String
        var body: String
        var sms: Bool
        var acknowledgeBy: Int64?
        var publishedAt: Int64
        /// The reader's own read and acknowledgement (the account the query was for).
        var readAt: Int64?
        var acknowledgedAt: Int64?

        var message: Xsc_Proposals_V1_Notice {
            var notice = Xsc_Proposals_V1_Notice()
            notice.id = id
            notice.teamPath = teamPath
            notice.authorAccountId = author
            notice.title = title
            notice.body = body
            notice.sms = sms
            notice.acknowledgeByMs = acknowledgeBy ?? 0
            notice.publishedAtMs = publishedAt
            notice.readAtMs = readAt ?? 0
            notice.acknowledgedAtMs = acknowledgedAt ?? 0
            return notice
        }
    }

    struct QuestionRecord: Sendable {
        var id: String
        var noticeID: String
        var asker: String
        var text: String
        var askedAt: Int64
        var answer: String
        var answeredBy: String
        var answeredAt: Int64?

        var message: Xsc_Proposals_V1_Question {
            var question = Xsc_Proposals_V1_Question()
            question.id = id
            question.noticeId = noticeID
            question.askerAccountId = asker
            question.text = text
            question.askedAtMs = askedAt
            question.answer = answer
            question.answeredBy = answeredBy
            question.answeredAtMs = answeredAt ?? 0
            return question
        }
    }

    static let noticeColumns = """
        n.id, n.team_path, n.author, n.title, n.body, n.sms, n.acknowledge_by, n.published_at, r.read_at, r.acknowledged_at
        """
    static let questionColumns = "id, notice_id, asker, text, asked_at, answer, answered_by, answered_at"

    func insert(_ notice: NoticeRecord, in tx: PostgresTransaction) async throws {
        _ = try await tx.run([
            PostgresStatement("""
                INSERT INTO notices (id, team_path, author, title, body, sms, acknowledge_by, published_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(notice.id), .text(notice.teamPath), .text(notice.author), .text(notice.title), .text(notice.body),
                      .bool(notice.sms), ProposalStore.time(notice.acknowledgeBy), .timestampMillis(notice.publishedAt)]),
            // The author has read what it wrote.
            PostgresStatement("INSERT INTO notice_reads (notice_id, account_id, read_at) VALUES ($1, $2, $3)",
                              [.text(notice.id), .text(notice.author), .timestampMillis(notice.publishedAt)]),
        ])
    }

    /// The notice as `reader` sees it (its own read), or nil when missing.
    func load(_ id: String, reader: String, in tx: PostgresTransaction) async throws -> NoticeRecord? {
        try await tx.query("""
            SELECT \(Self.noticeColumns) FROM notices n
            LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.account_id = $2
            WHERE n.id = $1
            """, [.text(id), .text(reader)]).first.map(Self.notice)
    }

    /// Records the first read (later reads change nothing).
    func markRead(_ id: String, account: String, at now: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO notice_reads (notice_id, account_id, read_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
            """, [.text(id), .text(account), .timestampMillis(now)])
    }

    /// An acknowledgement is also a read; false when acknowledged before.
    func acknowledge(_ id: String, account: String, at now: Int64, in tx: PostgresTransaction) async throws -> Bool {
        try await tx.execute("""
            INSERT INTO notice_reads (notice_id, account_id, read_at, acknowledged_at) VALUES ($1, $2, $3, $3)
            ON CONFLICT (notice_id, account_id) DO UPDATE SET acknowledged_at = EXCLUDED.acknowledged_at
            WHERE notice_reads.acknowledged_at IS NULL
            """, [.text(id), .text(account), .timestampMillis(now)]) == 1
    }

    func reads(_ id: String, in tx: PostgresTransaction) async throws -> [Xsc_Proposals_V1_NoticeRead] {
        try await tx.query("""
            SELECT account_id, read_at, acknowledged_at FROM notice_reads WHERE notice_id = $1 ORDER BY read_at, account_id
            """, [.text(id)]).map { row in
            var read = Xsc_Proposals_V1_NoticeRead()
            read.accountId = try row.decode(String.self, column: "account_id")
            read.readAtMs = try row.decode(Int64.self, column: "read_at")
            read.acknowledgedAtMs = try row.decode(Int64?.self, column: "acknowledged_at") ?? 0
            return read
        }
    }

    /// A page of the team's notices, newest first, as `reader` sees them.
    func page(team: String, reader: String, after: String?, limit: Int,
              in tx: PostgresTransaction) async throws -> [(record: NoticeRecord, key: String)] {
        try await tx.query("""
            SELECT \(Self.noticeColumns), sort_key FROM (
                SELECT *, lpad(((extract(epoch FROM published_at) * 1000)::bigint)::text, 16, '0') || '/' || id AS sort_key
                FROM notices WHERE team_path = $1
            ) n
            LEFT JOIN notice_reads r ON r.notice_id = n.id AND r.account_id = $2
            WHERE ($3::text IS NULL OR sort_key < $3)
            ORDER BY sort_key DESC LIMIT $4
            """, [.text(team), .text(reader), after.map { .text($0) } ?? .null, .int(limit)])
            .map { (try Self.notice($0), try $0.decode(String.self, column: "sort_key")) }
    }

    func insertQuestion(_ question: QuestionRecord, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO notice_questions (id, notice_id, asker, text, asked_at) VALUES ($1, $2, $3, $4, $5)
            """, [.text(question.id), .text(question.noticeID), .text(question.asker), .text(question.text),
                  .timestampMillis(question.askedAt)])
    }

    func question(_ id: String, forUpdate: Bool, in tx: PostgresTransaction) async throws -> QuestionRecord? {
        let sql = forUpdate
            ? "SELECT \(Self.questionColumns) FROM notice_questions WHERE id = $1 FOR UPDATE"
            : "SELECT \(Self.questionColumns) FROM notice_questions WHERE id = $1"
        return try await tx.query(sql, [.text(id)]).first.map(Self.question)
    }

    func saveAnswer(_ question: QuestionRecord, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            UPDATE notice_questions SET answer = $2, answered_by = $3, answered_at = $4 WHERE id = $1
            """, [.text(question.id), .text(question.answer), .text(question.answeredBy), ProposalStore.time(question.answeredAt)])
    }

    /// Questions under a notice, oldest first, after the sequence number `after`.
    func questions(notice: String, after: Int64, limit: Int, in tx: PostgresTransaction) async throws -> [(QuestionRecord, Int64)] {
        try await tx.query("""
            SELECT \(Self.questionColumns), seq FROM notice_questions WHERE notice_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
            """, [.text(notice), .int64(after), .int(limit)]).map { (try Self.question($0), try $0.decode(Int64.self, column: "seq")) }
    }

    /// Members who had not acknowledged `notice` (for its deadline): `members` minus those who did.
    func acknowledgedBy(_ id: String, in tx: PostgresTransaction) async throws -> Set<String> {
        Set(try await tx.query("""
            SELECT account_id FROM notice_reads WHERE notice_id = $1 AND acknowledged_at IS NOT NULL
            """, [.text(id)]).map { try $0.decode(String.self, column: "account_id") })
    }

    private static func notice(_ row: PostgresRow) throws -> NoticeRecord {
        NoticeRecord(id: try row.decode(String.self, column: "id"), teamPath: try row.decode(String.self, column: "team_path"),
                     author: try row.decode(String.self, column: "author"), title: try row.decode(String.self, column: "title"),
                     body: try row.decode(String.self, column: "body"), sms: try row.decode(Bool.self, column: "sms"),
                     acknowledgeBy: try row.decode(Int64?.self, column: "acknowledge_by"),
                     publishedAt: try row.decode(Int64.self, column: "published_at"),
                     readAt: try row.decode(Int64?.self, column: "read_at"),
                     acknowledgedAt: try row.decode(Int64?.self, column: "acknowledged_at"))
    }

    private static func question(_ row: PostgresRow) throws -> QuestionRecord {
        QuestionRecord(id: try row.decode(String.self, column: "id"), noticeID: try row.decode(String.self, column: "notice_id"),
                       asker: try row.decode(String.self, column: "asker"), text: try row.decode(String.self, column: "text"),
                       askedAt: try row.decode(Int64.self, column: "asked_at"), answer: try row.decode(String.self, column: "answer"),
                       answeredBy: try row.decode(String.self, column: "answered_by"),
                       answeredAt: try row.decode(Int64?.self, column: "answered_at"))
    }
}
