import XSCTestSupport
import Foundation
import Postgres
import XCTest

final class MigrationTests: XCTestCase {
    private var cluster: TestCluster!
    private var databaseURL = ""
    private var service = ""
    private var serviceURL = ""
    private var folder = ""
    private var pools: [PostgresPool] = []

    override func setUp() async throws {
        cluster = try requireCluster()
        databaseURL = try await cluster.makeDatabase()
        service = "svc_" + UUID().uuidString.lowercased().prefix(8)
        let admin = try makePool(databaseURL)
        try await SchemaBootstrap.run(superuserPool: admin, service: service, password: "pw 'with' \\ quotes")
        serviceURL = try SchemaBootstrap.serviceConnectionString(superuser: databaseURL, service: service,
                                                                  password: "pw 'with' \\ quotes")
        folder = NSTemporaryDirectory() + "xsc-migrations-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        pools.forEach { $0.close() }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func makePool(_ url: String) throws -> PostgresPool {
        let pool = try cluster.pool(url)
        pools.append(pool)
        return pool
    }

    private func write(_ name: String, _ sql: String) throws {
        try sql.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
    }

    private func writeStandardFiles() throws {
        try write("0001_create_items.sql", """
            CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
            CREATE TABLE applied_log (migration int NOT NULL);
            INSERT INTO applied_log VALUES (1);
            """)
        try write("0002_seed.sql", """
            -- slow on purpose, so racing migrators overlap
            SELECT pg_sleep(0.2);
            INSERT INTO items VALUES (1, 'first');
            INSERT INTO applied_log VALUES (2);
            """)
        try write("0003_index.sql", """
            CREATE INDEX items_name ON items (name);
            INSERT INTO applied_log VALUES (3);
            """)
        try write("README.txt", "not a migration")
    }

    func testAppliesInOrderOnceAndIsIdempotent() async throws {
        try writeStandardFiles()
        let pool = try makePool(serviceURL)
        let migrator = try Migrator(schema: service, directory: folder)
        XCTAssertEqual(migrator.migrations.map(\.version), [1, 2, 3])
        let first = try await migrator.migrate(pool: pool)
        XCTAssertEqual(first, [1, 2, 3])
        let second = try await migrator.migrate(pool: pool)
        XCTAssertEqual(second, [])
        let log = try await pool.query("SELECT migration FROM applied_log ORDER BY migration")
        XCTAssertEqual(try log.map { try $0.decode(Int.self, at: 0) }, [1, 2, 3])
        let recorded = try await pool.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        XCTAssertEqual(try recorded.map { try $0.decode(String.self, column: "name") }, ["create_items", "seed", "index"])
        XCTAssertEqual(try recorded[0].decode(String.self, column: "checksum").count, 64)
    }

    func testTwoMigratorsRacingApplyEachFileOnce() async throws {
        try writeStandardFiles()
        let migrator = try Migrator(schema: service, directory: folder)
        let poolA = try makePool(serviceURL), poolB = try makePool(serviceURL)
        let start = Barrier(count: 2)
        async let appliedA = { await start.arriveAndWait(); return try await migrator.migrate(pool: poolA) }()
        async let appliedB = { await start.arriveAndWait(); return try await migrator.migrate(pool: poolB) }()
        let (a, b) = try await (appliedA, appliedB)
        XCTAssertEqual((a + b).sorted(), [1, 2, 3], "every file applied exactly once across both")
        let log = try await poolA.query("SELECT migration FROM applied_log ORDER BY migration")
        XCTAssertEqual(try log.map { try $0.decode(Int.self, at: 0) }, [1, 2, 3])
    }

    func testChangedAppliedFileIsAnError() async throws {
        try writeStandardFiles()
        let pool = try makePool(serviceURL)
        try await Migrator(schema: service, directory: folder).migrate(pool: pool)
        try write("0002_seed.sql", "INSERT INTO items VALUES (2, 'sneaky edit');")
        do {
            try await Migrator(schema: service, directory: folder).migrate(pool: pool)
            XCTFail("a changed migration was accepted")
        } catch let error as MigrationError {
            XCTAssertEqual(error, .checksumMismatch(version: 2, name: "seed"))
        }
    }

    func testFailedMigrationRollsBackAndCanBeFixed() async throws {
        try write("0001_ok.sql", "CREATE TABLE kept (x int);")
        try write("0002_broken.sql", "CREATE TABLE half_done (x int); SELECT 1 / 0;")
        let pool = try makePool(serviceURL)
        await assertPostgresError(try await Migrator(schema: self.service, directory: self.folder).migrate(pool: pool)) { error in
            XCTAssertEqual(error.sqlState, "22012")
        }
        let tables = try await pool.query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
                                          [.text(service)])
        XCTAssertEqual(try tables.map { try $0.decode(String.self, at: 0) }, ["kept", "schema_migrations"])
        try write("0002_broken.sql", "CREATE TABLE half_done (x int);")
        // Also proves the advisory lock was released after the failure.
        let applied = try await Migrator(schema: service, directory: folder).migrate(pool: pool)
        XCTAssertEqual(applied, [2])
    }

    func testBadNamesAreRejected() async throws {
        try write("1_too_short.sql", "SELECT 1;")
        XCTAssertThrowsError(try Migrator(schema: service, directory: folder)) { error in
            XCTAssertEqual(error as? MigrationError, .invalidFileName("1_too_short.sql"))
        }
        XCTAssertThrowsError(try Migrator(schema: "Robert'); DROP", migrations: [])) { error in
            XCTAssertEqual(error as? MigrationError, .invalidSchemaName("Robert'); DROP"))
        }
        let pool = try makePool(databaseURL)
        do {
            try await Migrator(schema: "no_such_schema", migrations: []).migrate(pool: pool)
            XCTFail("migrated a schema that does not exist")
        } catch let error as MigrationError {
            XCTAssertEqual(error, .schemaMissing("no_such_schema"))
        }
    }
}
