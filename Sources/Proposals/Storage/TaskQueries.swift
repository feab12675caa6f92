import Messages
import Postgres

/// "What waits for me": every open duty of one person in one query, soonest deadline first
/// (those without a deadline, unread notices, last), keyset-paged on a sort key.
struct TaskQueries: Sendable {
    func page(account: String, team: String, now: Int64, after: String?, limit: Int,
              in tx: PostgresTransaction) async throws -> [(task: Xsc_Proposals_V1_Task, key: String)] {
        try await tx.query("""
            SELECT kind, proposal_id, notice_id, reference, title, due_ms, sort_key FROM (
                SELECT *, lpad(coalesce(due_ms, 9999999999999)::text, 16, '0') || '/' || kind || '/' || proposal_id
                       || notice_id || '/' || reference AS sort_key
                FROM (
                    SELECT 1 AS kind, p.id AS proposal_id, '' AS notice_id, '' AS reference, p.title,
                           (extract(epoch FROM p.decision_due_at) * 1000)::bigint AS due_ms
                    FROM proposals p JOIN proposal_deciders d ON d.proposal_id = p.id AND d.account_id = $1
                    WHERE p.state = 'submitted' AND d.level <= p.escalations
                    UNION ALL
                    SELECT 2, p.id, '', c.id, p.title, (extract(epoch FROM c.due_at) * 1000)::bigint
                    FROM proposals p
                    JOIN proposal_participants pp ON pp.proposal_id = p.id AND pp.account_id = $1
                    JOIN checkpoints c ON c.proposal_id = p.id
                    WHERE p.state IN ('executing', 'reviewing') AND c.due_at > $3
                      AND NOT EXISTS (SELECT 1 FROM checkpoint_reports r WHERE r.checkpoint_id = c.id AND r.account_id = $1)
                    UNION ALL
                    SELECT 3, p.id, '', '', p.title, (extract(epoch FROM p.review_due_at) * 1000)::bigint
                    FROM proposals p WHERE p.state = 'reviewing' AND p.proposer = $1 AND p.analysis = ''
                    UNION ALL
                    SELECT 4, p.id, '', '', p.title, (extract(epoch FROM p.review_due_at) * 1000)::bigint
                    FROM proposals p JOIN proposal_participants pp ON pp.proposal_id = p.id AND pp.account_id = $1
                    WHERE p.state = 'reviewing'
                      AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.proposal_id = p.id AND e.account_id = $1)
                    UNION ALL
                    SELECT 5, '', n.id, '', n.title, NULL::bigint
                    FROM notices n WHERE n.team_path = $2
                      AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.account_id = $1)
                    UNION ALL
                    SELECT 6, '', n.id, '', n.title, (extract(epoch FROM n.acknowledge_by) * 1000)::bigint
                    FROM notices n WHERE n.team_path = $2 AND n.acknowledge_by > $3 AND n.author <> $1
                      AND NOT EXISTS (SELECT 1 FROM notice_reads r WHERE r.notice_id = n.id AND r.account_id = $1
                                      AND r.acknowledged_at IS NOT NULL)
                ) duties
            ) t
            WHERE ($4::text IS NULL OR sort_key > $4)
            ORDER BY sort_key LIMIT $5
            """, [.text(account), .text(team), .timestampMillis(now), after.map { .text($0) } ?? .null, .int(limit)]).map { row in
            var task = Xsc_Proposals_V1_Task()
            task.kind = Xsc_Proposals_V1_TaskKind(rawValue: try row.decode(Int32.self, column: "kind"))
            task.proposalId = try row.decode(String.self, column: "proposal_id")
            task.noticeId = try row.decode(String.self, column: "notice_id")
            task.reference = try row.decode(String.self, column: "reference")
            task.title = try row.decode(String.self, column: "title")
            task.dueAtMs = try row.decode(Int64?.self, column: "due_ms") ?? 0
            return (task, try row.decode(String.self, column: "sort_key"))
        }
    }
}

/// Aggregated counts per team at or below a node: numbers only, for ancestors.
struct CountQueries: Sendable {
    func counts(subtree: String, in tx: PostgresTransaction) async throws -> [Xsc_Proposals_V1_TeamCount] {
        let prefix = subtree.hasSuffix("/") ? subtree : subtree + "/"
        let results = try await tx.run([
            PostgresStatement("""
                SELECT team_path,
                       count(*) FILTER (WHERE state IN ('submitted', 'executing', 'reviewing')) AS open,
                       count(*) FILTER (WHERE state = 'closed') AS closed,
                       count(*) FILTER (WHERE state = 'terminated') AS terminated
                FROM proposals WHERE (team_path = $1 OR starts_with(team_path, $2)) AND state <> 'draft'
                GROUP BY team_path
                """, [.text(subtree), .text(prefix)]),
            PostgresStatement("""
                SELECT team_path, count(*) AS n FROM violations WHERE team_path = $1 OR starts_with(team_path, $2) GROUP BY team_path
                """, [.text(subtree), .text(prefix)]),
            PostgresStatement("""
                SELECT team_path, count(*) AS n FROM notices WHERE team_path = $1 OR starts_with(team_path, $2) GROUP BY team_path
                """, [.text(subtree), .text(prefix)]),
        ])
        var teams: [String: Xsc_Proposals_V1_TeamCount] = [:]
        func entry(_ path: String) -> Xsc_Proposals_V1_TeamCount {
            var count = teams[path] ?? Xsc_Proposals_V1_TeamCount()
            count.teamPath = path
            return count
        }
        for row in results[0] {
            let path = try row.decode(String.self, column: "team_path")
            var count = entry(path)
            count.openProposals = try row.decode(Int32.self, column: "open")
            count.closedProposals = try row.decode(Int32.self, column: "closed")
            count.terminatedProposals = try row.decode(Int32.self, column: "terminated")
            teams[path] = count
        }
        for row in results[1] {
            let path = try row.decode(String.self, column: "team_path")
            var count = entry(path)
            count.violations = try row.decode(Int32.self, column: "n")
            teams[path] = count
        }
        for row in results[2] {
            let path = try row.decode(String.self, column: "team_path")
            var count = entry(path)
            count.notices = try row.decode(Int32.self, column: "n")
            teams[path] = count
        }
        return teams.keys.sorted().compactMap { teams[$0] }
    }
}
