import XSCTestSupport
import Postgres
import ServiceKitStore
import XCTest

final class PlatformMigrationTests: XCTestCase {
    func testPlatformTablesComeFirstAndMigratingAgainIsANoOp() async throws {
        let service = "svc"
        let own = [Migration(version: 1, name: "create_items", sql: "CREATE TABLE items (id bigint PRIMARY KEY);")]
        let fixture = try await StoreFixture.make(self, services: [service: own])
        defer { fixture.close() }
        let pool = try fixture.pool(service)

        let recorded = try await pool.query("SELECT version, name FROM schema_migrations ORDER BY version")
        let names = try recorded.map { try $0.decode(String.self, column: "name") }
        XCTAssertEqual(names, ["xsc_platform_idempotency_keys", "xsc_platform_outbox", "xsc_platform_processed_events",
                               "xsc_platform_timers", "xsc_platform_directory", "xsc_platform_outbox_trace",
                               "xsc_platform_outbox_hot_lease", "create_items"])
        XCTAssertTrue(try recorded.dropLast().allSatisfy { try $0.decode(Int.self, column: "version") < 1 })

        let tables = try await pool.query("""
            SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1
            """, [.text(service)])
        XCTAssertEqual(try tables.map { try $0.decode(String.self, at: 0) },
                       ["items", "schema_migrations", "xsc_directory", "xsc_idempotency_keys", "xsc_outbox",
                        "xsc_processed_events", "xsc_timers"])

        let again = try await PlatformMigrations.migrator(schema: service, serviceMigrations: own).migrate(pool: pool)
        XCTAssertEqual(again, [])
    }

    func testServiceMigrationsCannotUsePlatformVersions() {
        XCTAssertThrowsError(try PlatformMigrations.migrator(
            schema: "svc", serviceMigrations: [Migration(version: -999, name: "sneaky", sql: "SELECT 1;")])) { error in
            XCTAssertEqual(error as? PlatformMigrationError, .reservedVersion(-999, name: "sneaky"))
        }
    }
}
