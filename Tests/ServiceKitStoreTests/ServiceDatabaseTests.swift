import Foundation
import Postgres
import ServiceKitStore
import XCTest
import XSCTestSupport

/// XSCTestSupport's fresh-schema fixture, which every database suite stands on: clones are
/// migrated, private to their test, reached as the service's role, and made safely in parallel.
final class ServiceDatabaseTests: XCTestCase {
    /// A schema set no other test uses, so this test builds its template itself.
    private func uniqueSet(_ marker: String = UUID().uuidString) -> [ServiceSchema] {
        [.custom("fixture_svc", migrations: [
            Migration(version: 1, name: "items", sql: "CREATE TABLE items (id int PRIMARY KEY); -- \(marker)"),
        ])]
    }

    /// Breaks if clones share data (a template that is not copied, a database handed out twice)
    /// or a clone misses the platform's or the service's migrations, or the pool is not the role.
    func testEachCloneIsMigratedPrivateAndReachedAsTheServiceRole() async throws {
        let set = uniqueSet()
        let first = try await ServiceDatabase.make(self, schemas: set)
        defer { first.close() }
        let second = try await ServiceDatabase.make(self, schemas: set)
        defer { second.close() }
        XCTAssertNotEqual(first.superuserURL, second.superuserURL)

        try await first.pool.execute("INSERT INTO items VALUES (1)")
        let inSecond = try await second.pool.query("SELECT count(*) FROM items")
        XCTAssertEqual(try inSecond[0].decode(Int.self, at: 0), 0)
        for database in [first, second] {
            let applied = try await database.pool.query("SELECT version FROM schema_migrations ORDER BY version")
            XCTAssertEqual(try applied.map { try $0.decode(Int.self, at: 0) },
                           PlatformMigrations.all.map(\.version) + [1])
            let role = try await database.pool.query("SELECT current_user::text")
            XCTAssertEqual(try role[0].decode(String.self, at: 0), "fixture_svc")
        }
    }

    /// Breaks if a real service's folder is not what gets migrated.
    func testARealServiceGetsItsOwnMigrationFiles() async throws {
        let database = try await ServiceDatabase.make(self, service: "gateway")
        defer { database.close() }
        let files = try Migration.load(directory: TestCluster.repositoryRoot + "/services/gateway/migrations")
        let applied = try await database.pool.query("SELECT name FROM schema_migrations WHERE version > 0 ORDER BY version")
        XCTAssertEqual(try applied.map { try $0.decode(String.self, at: 0) }, files.map(\.name))
        XCTAssertFalse(files.isEmpty)
    }

    /// Breaks without the gate: the first fixtures of a new set arriving together would build
    /// the template several times, or clone it while it is still being built (PostgreSQL then
    /// refuses: "source database is being accessed by other users").
    func testFixturesMadeTogetherShareOneTemplateAndAllSucceed() async throws {
        let set = uniqueSet()
        let admin = try requireCluster().pool(requireCluster().url)
        defer { admin.close() }
        let templatesBefore = try await templateCount(admin)
        let databases = try await withThrowingTaskGroup(of: ServiceDatabase.self) { group in
            for _ in 0..<4 { group.addTask { try await ServiceDatabase.make(self, schemas: set) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { databases.forEach { $0.close() } }
        XCTAssertEqual(Set(databases.map(\.superuserURL)).count, 4)
        for database in databases {
            let rows = try await database.pool.query("SELECT count(*) FROM items")
            XCTAssertEqual(try rows[0].decode(Int.self, at: 0), 0)
        }
        let templatesAfter = try await templateCount(admin)
        XCTAssertEqual(templatesAfter - templatesBefore, 1, "one template for the set")
    }

    /// Breaks if a template may be connected to (one stray session would block every clone).
    func testTemplatesRefuseConnections() async throws {
        let database = try await ServiceDatabase.make(self, schemas: uniqueSet())
        database.close()
        let admin = try requireCluster().pool(requireCluster().url)
        defer { admin.close() }
        let open = try await admin.query(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'xsc\\_template\\_%' AND (datallowconn OR NOT datistemplate)")
        XCTAssertEqual(try open[0].decode(Int.self, at: 0), 0)
    }

    private func templateCount(_ admin: PostgresPool) async throws -> Int {
        try await admin.query("SELECT count(*) FROM pg_database WHERE datname LIKE 'xsc\\_template\\_%'")[0].decode(Int.self, at: 0)
    }
}
