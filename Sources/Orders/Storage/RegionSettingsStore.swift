import Postgres

/// `region_settings`: what a region decides for its own order area (the routing reads it with
/// each district's routing, `CatalogStore.routingStatements`).
struct RegionSettingsStore: Sendable {
    func upsert(region: String, dealerAcceptSeconds: Int, returnVisitSeconds: Int, conflictWindowHours: Int = 0,
                by account: String, at: Int64, in tx: PostgresTransaction) async throws {
        try await tx.execute("""
            INSERT INTO region_settings (region_id, dealer_accept_seconds, return_visit_seconds, updated_at, updated_by,
                                         channel_conflict_window_hours)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (region_id) DO UPDATE SET dealer_accept_seconds = $2, return_visit_seconds = $3, updated_at = $4,
                                                  updated_by = $5, channel_conflict_window_hours = $6
            """, [.text(region), .int(dealerAcceptSeconds), .int(returnVisitSeconds), .timestampMillis(at), .text(account),
                  .int(conflictWindowHours)])
    }

    /// The districts whose routing names `account` (any member role), with their region.
    func routingsNaming(_ account: String, in tx: PostgresTransaction) async throws -> [(district: String, region: String, role: String)] {
        try await tx.query("""
            SELECT m.district_id, r.region_id, m.member_role FROM district_routing_members m
            JOIN district_routing r ON r.district_id = m.district_id
            WHERE m.account_id = $1 ORDER BY m.district_id, m.member_role
            """, [.text(account)]).map {
            (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2))
        }
    }
}
