import XSCTestSupport
import Postgres
import ServiceKitStore
import XCTest

/// Issue 15: claiming an outbox row must be a HOT update (no index holds a column the claim
/// writes, and the pages keep room for the new version), so that a claim costs PostgreSQL one
/// in-page tuple instead of a new tuple plus an entry in every index, and leaves no dead index
/// entries for the next claim to walk past.
final class OutboxHOTTests: XCTestCase {
    private var fixture: StoreFixture!
    private let sender = "sender"
    private let clock = ManualWallClock()

    override func setUp() async throws {
        fixture = try await StoreFixture.make(self, services: [sender: []])
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    func testNoIndexHoldsAColumnTheClaimWrites() async throws {
        let pool = try fixture.pool(sender)
        let definitions = try await pool.query("""
            SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'xsc_outbox'
            """).map { try $0.decode(String.self, at: 0) }
        XCTAssertFalse(definitions.isEmpty)
        for definition in definitions {
            for column in ["attempts", "leased_until", "lease_token"] {
                XCTAssertFalse(definition.contains(column), "\(definition) holds \(column), which every claim writes")
            }
        }
        let options = try await pool.query("""
            SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class
            WHERE oid = (quote_ident(current_schema()) || '.xsc_outbox')::regclass
            """)[0].decode(String.self, at: 0)
        XCTAssertTrue(options.contains("fillfactor=70"), options)
    }

    func testClaimsAreHOTUpdatesAndOnlyTheMarkIsNot() async throws {
        let pool = try fixture.pool(sender)
        let outbox = Outbox(clock: clock.now)
        for index in 0..<10 {
            try await pool.transaction { transaction in
                try await outbox.enqueue(in: transaction, destination: "receiver", methodPath: "/x/Y",
                                         payload: Array("row-\(index)".utf8))
            }
        }
        var configuration = OutboxRelay.Configuration()
        configuration.batchSize = 16
        configuration.reportError = { _, _ in }
        let relay = OutboxRelay(pool: pool, deliverer: ScriptedDeliverer(.succeed), configuration: configuration, clock: clock.now)
        let claimed = try await relay.runOnce()
        XCTAssertEqual(claimed, 10)
        // Backends report their counters when idle (within ~10 s on PostgreSQL 15): wait for all
        // 20 updates (10 claims, 10 marks) to be counted, then look at how many were HOT.
        var hot = -1
        try await eventually("the 20 updates counted") {
            let row = try await pool.query("""
                SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
                WHERE schemaname = current_schema() AND relname = 'xsc_outbox'
                """)[0]
            hot = try row.decode(Int.self, at: 1)
            return try row.decode(Int.self, at: 0) == 20
        }
        // Each claim in place; each mark changes `state` (in the partial indexes' predicates)
        // and so cannot be.
        XCTAssertEqual(hot, 10)
    }
}
