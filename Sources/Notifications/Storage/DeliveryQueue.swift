import DomainKit
import Foundation
import Postgres
import ServiceKit
import ServiceKitStore

/// Claims due messages and records delivery outcomes. A claim takes due `queued` rows with
/// `FOR UPDATE SKIP LOCKED` (replicas share the work), applies quiet hours and the
/// per-recipient rate limit (rows that may not go yet get a later `next_attempt_at`: deferred,
/// not dropped) and leases the rest by pushing `next_attempt_at` out by `lease`. The send
/// happens outside any transaction; the outcome is recorded only by the lease holder.
public struct DeliveryQueue: Sendable {
    public struct Policy: Sendable {
        public var quietHours = QuietHours()
        public var rateLimit = RecipientRateLimit()
        public var retry = RetryPolicy(baseDelay: .seconds(2), maxDelay: .seconds(600), maxAttempts: 8)
        public var lease: Duration = .seconds(60)
        public init() {}
    }

    public struct Claimed: Sendable, Equatable {
        public var sms: OutgoingSMS
        public var leaseToken: String
    }

    let pool: PostgresPool
    let policy: Policy
    let clock: WallClock

    public init(pool: PostgresPool, policy: Policy = Policy(), clock: @escaping WallClock = SystemWallClock.now) {
        self.pool = pool
        self.policy = policy
        self.clock = clock
    }

    public func claim(limit: Int) async throws -> [Claimed] {
        let now = clock()
        let token = UUID().uuidString.lowercased()
        let policy = self.policy
        return try await pool.transaction { tx in
            let due = try await tx.query("""
                SELECT id, phone, category, dispatched_at IS NOT NULL FROM messages
                WHERE state = 'queued' AND next_attempt_at <= $1
                ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
                """, [.timestampMillis(now), .int(limit)])
            // Phone order for the advisory locks below, so two claimers never wait on each other in a cycle.
            let rows = try due.map { row in
                (id: try row.decode(String.self, at: 0), phone: try row.decode(String.self, at: 1),
                 customer: try row.decode(String.self, at: 2) == StoredMessage.Category.customer.rawValue,
                 dispatched: try row.decode(Bool.self, at: 3))
            }.sorted { ($0.phone, $0.id) < ($1.phone, $1.id) }

            var claimed: [Claimed] = []
            for row in rows {
                if row.customer, let end = policy.quietHours.deferral(atMillis: now) {
                    try await defer_(tx, id: row.id, until: end)
                    continue
                }
                if !row.dispatched, let slot = try await rateLimitSlot(tx, phone: row.phone, now: now, policy: policy) {
                    try await defer_(tx, id: row.id, until: slot)
                    continue
                }
                let leased = try await tx.query("""
                    UPDATE messages SET attempts = attempts + 1, lease_token = $2, next_attempt_at = $3,
                                        dispatched_at = coalesce(dispatched_at, $4)
                    WHERE id = $1
                    RETURNING id, phone, body, segments, region_code, attempts, vendor_template_code, sign_name, template_params
                    """, [.text(row.id), .text(token), .timestampMillis(now + policy.lease.wholeMilliseconds),
                          .timestampMillis(now)])
                guard let leasedRow = leased.first, let phone = MainlandPhone(mobile: try leasedRow.decode(String.self, at: 1)) else { continue }
                claimed.append(Claimed(sms: OutgoingSMS(messageID: try leasedRow.decode(String.self, at: 0), phone: phone,
                                                        text: try leasedRow.decode(String.self, at: 2),
                                                        segments: try leasedRow.decode(Int.self, at: 3),
                                                        regionCode: try leasedRow.decode(String.self, at: 4),
                                                        attempt: try leasedRow.decode(Int.self, at: 5),
                                                        vendorTemplateCode: try leasedRow.decode(String.self, column: "vendor_template_code"),
                                                        signName: try leasedRow.decode(String.self, column: "sign_name"),
                                                        templateParams: VendorParams.decode(try leasedRow.decode(String.self, column: "template_params"))),
                                       leaseToken: token))
            }
            return claimed
        }
    }

    /// When the phone's next message may go, or nil if now. Serialised per phone with a
    /// transaction-scoped advisory lock, so two replicas cannot both take the last slot.
    private func rateLimitSlot(_ tx: PostgresTransaction, phone: String, now: Int64, policy: Policy) async throws -> Int64? {
        try await tx.execute("SELECT pg_advisory_xact_lock(hashtext('xsc.notifications.rate'), hashtext($1))", [.text(phone)])
        let recent = try await tx.query("""
            SELECT dispatched_at FROM messages WHERE phone = $1 AND dispatched_at > $2 ORDER BY dispatched_at
            """, [.text(phone), .timestampMillis(now - policy.rateLimit.window.wholeMilliseconds)])
        let times = try recent.map { try $0.decode(Int64.self, at: 0) }
        return policy.rateLimit.nextSlot(recentDispatches: times, now: now)
    }

    private func defer_(_ tx: PostgresTransaction, id: String, until millis: Int64) async throws {
        try await tx.execute("UPDATE messages SET next_attempt_at = $2 WHERE id = $1", [.text(id), .timestampMillis(millis)])
    }

    public enum Outcome: Sendable, Equatable {
        case sent(provider: String, providerMessageID: String)
        case failed(SMSProviderError)
    }

    /// Records what happened to a claimed message; a no-op when the lease was lost (another
    /// worker took the row after our lease ran out). Returns the new state, nil when lost.
    @discardableResult
    public func record(_ claimed: Claimed, _ outcome: Outcome) async throws -> StoredMessage.State? {
        let now = clock()
        let id = PostgresValue.text(claimed.sms.messageID)
        let token = PostgresValue.text(claimed.leaseToken)
        let updated: Int
        let state: StoredMessage.State
        switch outcome {
        case .sent(let provider, let providerMessageID):
            state = .sent
            // `continuing`: the send already happened; under load its record goes ahead of calls
            // not yet started, so it is not the one left waiting past the pool's timeout.
            updated = try await pool.run([PostgresStatement("""
                UPDATE messages SET state = 'sent', sent_at = $3, provider = $4, provider_message_id = $5,
                                    lease_token = NULL, last_error = NULL
                WHERE id = $1 AND lease_token = $2 AND state = 'queued'
                """, [id, token, .timestampMillis(now), .text(provider), .text(providerMessageID)])],
                continuing: true)[0].affectedRows ?? 0
        case .failed(.transient(let reason)) where claimed.sms.attempt < policy.retry.maxAttempts:
            state = .queued
            let delay = policy.retry.delay(afterAttempt: claimed.sms.attempt).wholeMilliseconds
            updated = try await pool.run([PostgresStatement("""
                UPDATE messages SET next_attempt_at = $3, last_error = $4, lease_token = NULL
                WHERE id = $1 AND lease_token = $2 AND state = 'queued'
                """, [id, token, .timestampMillis(now + delay), .text(reason)])], continuing: true)[0].affectedRows ?? 0
        case .failed(let error):
            state = .failed
            let reason: String
            switch error {
            case .transient(let text): reason = "gave up after \(claimed.sms.attempt) attempts: \(text)"
            case .permanent(let text): reason = text
            }
            // In one transaction with the failure: an order prompt that will never arrive is
            // reported to orders (its miss voided, the next person prompted at once).
            updated = try await pool.transaction { tx in
                let rows = try await tx.query("""
                    UPDATE messages SET state = 'failed', failure_reason = $3, last_error = $3, lease_token = NULL
                    WHERE id = $1 AND lease_token = $2 AND state = 'queued'
                    RETURNING id, recipient_account_id, subject_kind, subject_id
                    """, [id, token, .text(reason)])
                guard let row = rows.first else { return 0 }
                try await UndeliveredPrompts(clock: clock).report(
                    messageID: try row.decode(String.self, column: "id"),
                    account: try row.decode(String?.self, column: "recipient_account_id"),
                    subjectKind: try row.decode(String.self, column: "subject_kind"),
                    orderID: try row.decode(String.self, column: "subject_id"), reason: reason, at: now, in: tx)
                return 1
            }
        }
        return updated == 1 ? state : nil
    }
}
