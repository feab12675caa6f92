import DomainKit
import Messages
import Postgres
import RPC
import ServiceKit
import ServiceKitStore

/// Closing a business week: every Monday 00:00 by the durable timer (for the week that just
/// ended), or on demand. One close per week for the whole organisation: the week's exclusive
/// advisory lock plus the `period_closes` row make a second close, or a second replica's, a
/// no-op, and the unique (week, dealer, payee) key backs that up.
extension SettlementFlow {
    public static let weeklyCloseKind = "settlements.weekly-close"
    static let weeklyCloseSubject = "weekly"
    /// A week of a large organisation is one transaction over a million lines: far longer than
    /// an ordinary call's database deadline (bench/settlements.sh measures it).
    public static let closeTimeout: Duration = .seconds(600)

    /// Closes `week` in `tx`; (closed now, statements of the week).
    func close(_ week: BusinessWeek, by account: String, in tx: PostgresTransaction) async throws -> (Bool, Int) {
        try await lines.lockWeek(start: week.startMillis, shared: false, in: tx)
        if let count = try await statements.close(start: week.startMillis, end: week.endMillis, weekName: week.name,
                                                  closedBy: account, at: clock(), in: tx) {
            return (true, count)
        }
        return (false, try await statements.statementCount(start: week.startMillis, in: tx))
    }

    public func closeWeek(_ request: Xsc_Settlements_V1_CloseWeekRequest, actor: VerifiedActor) async throws -> Xsc_Settlements_V1_CloseWeekResponse {
        guard actor.isRegionalManager || actor.role == .admin || actor.role == .system else {
            throw DomainErrors.refused(.permissionDenied, "only a regional manager closes a week on demand",
                                       reason: "REGIONAL_MANAGER_REQUIRED")
        }
        let now = clock()
        let week: BusinessWeek
        if request.week.isEmpty {
            week = calendar.week(before: calendar.week(containing: now))
        } else if let named = calendar.week(named: request.week) {
            week = named
        } else {
            var violations = FieldViolations()
            violations.add("week", "an ISO week such as 2026-W49")
            throw violations.error
        }
        guard week.endMillis <= now || request.beforeEnd else {
            throw DomainErrors.illegalState("week \(week.name) has not ended yet; close it from Monday 00:00 on (or ask for before_end)")
        }
        let (closedNow, count) = try await pool.transaction(deadline: .now + Self.closeTimeout) { tx in
            try await close(week, by: actor.accountID, in: tx)
        }
        var response = Xsc_Settlements_V1_CloseWeekResponse()
        response.week = week.name
        response.closedNow = closedNow
        response.statements = Int32(count)
        return response
    }

    /// The Monday timer: closes the week that ended at its due time (and any older week with
    /// lines that was never closed: lines of weeks before the first Monday timer, booked late),
    /// then schedules the next Monday. A service that was down for weeks catches up one week per
    /// firing (the next due time is then already past).
    public var timerHandlers: [String: TimerHandler] {
        let flow = self
        return [Self.weeklyCloseKind: { firing, tx in
            let current = flow.calendar.week(containing: firing.dueAtMillis)
            let ended = flow.calendar.week(before: current)
            for start in try await flow.statements.unclosedWeeksWithLines(before: ended.startMillis, in: tx) {
                _ = try await flow.close(flow.calendar.week(containing: start), by: "svc-settlements", in: tx)
            }
            _ = try await flow.close(ended, by: "svc-settlements", in: tx)
            try await flow.timers.schedule(in: tx, kind: Self.weeklyCloseKind, subjectID: Self.weeklyCloseSubject,
                                           dueAtMillis: current.endMillis)
        }, Self.quarterlyCloseKind: { firing, tx in
            // Promotion advances are reimbursed every three months: the quarter that just ended.
            let ended = flow.calendar.quarter(of: firing.dueAtMillis - 1)
            _ = try await flow.reimbursements.close(quarter: ended, by: "svc-settlements", at: flow.clock(), in: tx)
            let current = flow.calendar.quarter(of: firing.dueAtMillis)
            if let range = flow.calendar.quarterRange(current) {
                try await flow.timers.schedule(in: tx, kind: Self.quarterlyCloseKind, subjectID: Self.quarterlyCloseSubject,
                                               dueAtMillis: range.endMillis)
            }
        }]
    }

    public static let quarterlyCloseKind = "settlements.quarterly-close"
    static let quarterlyCloseSubject = "quarterly"

    /// Schedules the first Monday close and the first quarter's reimbursement close unless
    /// they exist (every replica calls this at start).
    public func ensureTimers() async throws {
        let store = WeeklyTimerStore()
        try await store.ensure(kind: Self.weeklyCloseKind, subjectID: Self.weeklyCloseSubject,
                               dueAtMillis: calendar.week(containing: clock()).endMillis, at: clock(), pool: pool)
        if let quarter = calendar.quarterRange(calendar.quarter(of: clock())) {
            try await store.ensure(kind: Self.quarterlyCloseKind, subjectID: Self.quarterlyCloseSubject,
                                   dueAtMillis: quarter.endMillis, at: clock(), pool: pool)
        }
    }
}
