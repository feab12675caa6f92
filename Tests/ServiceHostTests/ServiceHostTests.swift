import Foundation
import Messages
import Postgres
import RPC
import ServiceAPI
import ServiceKit
import Synchronization
import XCTest
import XSCTestSupport
@testable import ServiceHost

/// Records that the host started and stopped it, and what it was built from.
private final class RecordingWorker: BackgroundWorker, Sendable {
    let name = "recording"
    let started = Atomic<Bool>(false)
    let stopped = Atomic<Bool>(false)
    func start() throws { started.store(true, ordering: .relaxed) }
    func stop() async { stopped.store(true, ordering: .relaxed) }
}

private final class MemorySink: LogSink, Sendable {
    let lines = Mutex<[String]>([])
    func write(line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

final class ServiceHostTests: XCTestCase {
    private var folders: [URL] = []

    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(at: folder) }
        folders = []
        super.tearDown()
    }

    private func migrationsFolder(_ files: [String: String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        folders.append(folder)
        for (name, sql) in files {
            try sql.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder.path
    }

    private func config(service: String, databaseURL: String) throws -> ServiceConfig {
        try ServiceConfig.load(service: service, environment: [
            "XSC_LISTEN": "127.0.0.1:0", "XSC_ADMIN_LISTEN": "127.0.0.1:0", "DATABASE_URL": databaseURL,
            "XSC_ACTOR_SECRET": String(repeating: "k", count: 40),
        ])
    }

    /// A database with the service's schema and role but nothing in it (the host migrates), and
    /// the role's own connection string.
    private func bootstrapped(_ service: String) async throws -> String {
        try await ServiceDatabase.make(self, schemas: [.bootstrapped(service)]).url(service)
    }

    func testPreparedServiceMigratesServesHealthRunsWorkersAndStops() async throws {
        let url = try await bootstrapped("orders")
        let migrations = try migrationsFolder([
            "0001_init.sql": "CREATE TABLE service_info (service text NOT NULL); INSERT INTO service_info VALUES ('orders');",
        ])
        let worker = RecordingWorker()
        let sawPool = Atomic<Bool>(false)
        let definition = ServiceDefinition(name: "orders", providers: { hosted in
            sawPool.store(hosted.pool.configuration.applicationName == "xsc-orders", ordering: .relaxed)
            return []
        }, workers: { _ in [worker] })
        let sink = MemorySink()
        let process = try await ServiceHost.prepare(definition, config: try config(service: "orders", databaseURL: url),
                                                    migrationsDirectory: migrations,
                                                    logger: Logger(service: "orders", sink: sink))
        XCTAssertTrue(sawPool.load(ordering: .relaxed), "handlers are built with the service's pool")

        let rows = try await process.hosted.pool.query("SELECT service FROM service_info")
        XCTAssertEqual(try rows[0].decode(String.self, at: 0), "orders", "the migration ran in the service's schema")
        let platform = try await process.hosted.pool.query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'orders' AND tablename LIKE 'xsc\\_%' ORDER BY 1")
        XCTAssertEqual(try platform.map { try $0.decode(String.self, at: 0) },
                       ["xsc_directory", "xsc_idempotency_keys", "xsc_outbox", "xsc_processed_events", "xsc_timers"],
                       "ServiceKitStore's tables come with every service")

        try process.start()
        XCTAssertTrue(worker.started.load(ordering: .relaxed))
        let channel = RPCChannel(host: "127.0.0.1", port: process.rpcPort)
        defer { channel.close() }
        let health = try await Grpc_Health_V1_HealthClient(channel: channel)
            .check(Grpc_Health_V1_HealthCheckRequest(), options: CallOptions(timeout: .seconds(10)))
        XCTAssertEqual(health.status, .serving)
        XCTAssertTrue(process.runner.isReady)
        XCTAssertTrue(process.hosted.metrics.exposition().contains("xsc_db_pool_connections{state=\"idle\"}"))

        process.shutdown()
        XCTAssertTrue(worker.stopped.load(ordering: .relaxed), "registered workers are stopped on shutdown")
        await assertThrowsPostgres(try await process.hosted.pool.query("SELECT 1"), "the pool is closed last")
        XCTAssertTrue(sink.all.contains { $0.contains("migrations up to date") && $0.contains(",1\"") }, "\(sink.all)")
    }

    func testSecondStartAppliesNothingAgain() async throws {
        let url = try await bootstrapped("customers")
        let migrations = try migrationsFolder(["0001_init.sql": "CREATE TABLE t (id int);"])
        // The first start applies the platform migrations and then the service's file 1.
        for expected in [",1\"", "\"applied_now\":\"\""] {
            let sink = MemorySink()
            let process = try await ServiceHost.prepare(ServiceDefinition(name: "customers"),
                                                        config: try config(service: "customers", databaseURL: url),
                                                        migrationsDirectory: migrations,
                                                        logger: Logger(service: "customers", sink: sink))
            process.hosted.pool.close()
            XCTAssertTrue(sink.all.contains { $0.contains(expected) }, "\(expected) in \(sink.all)")
        }
    }

    func testMissingSchemaFailsAtOnceInsteadOfWaiting() async throws {
        // A database where nobody ran the bootstrap: the service's own schema does not exist.
        let superuser = try await requireCluster().makeDatabase()
        let migrations = try migrationsFolder(["0001_init.sql": "CREATE TABLE t (id int);"])
        var options = ServiceHost.Options()
        options.databaseWaitLimit = .seconds(120)
        let clock = ContinuousClock()
        let began = clock.now
        do {
            _ = try await ServiceHost.prepare(ServiceDefinition(name: "proposals"),
                                              config: try config(service: "proposals", databaseURL: superuser),
                                              migrationsDirectory: migrations,
                                              logger: Logger(service: "proposals", sink: MemorySink()), options: options)
            XCTFail("start-up must fail without the schema")
        } catch let error as MigrationError {
            XCTAssertEqual(error, .schemaMissing("proposals"))
        }
        XCTAssertLessThan(clock.now - began, .seconds(120), "a real error is not retried until the wait limit")
    }

    func testUnreachableDatabaseIsRetriedUntilTheLimitThenReported() async throws {
        let migrations = try migrationsFolder(["0001_init.sql": "CREATE TABLE t (id int);"])
        var options = ServiceHost.Options()
        options.databaseWaitLimit = .seconds(1)
        let sink = MemorySink()
        // Port 1 on loopback: nothing listens there, connections are refused at once.
        let url = "postgresql://settlements:x@127.0.0.1:1/xsc"
        do {
            _ = try await ServiceHost.prepare(ServiceDefinition(name: "settlements"),
                                              config: try config(service: "settlements", databaseURL: url),
                                              migrationsDirectory: migrations,
                                              logger: Logger(service: "settlements", sink: sink), options: options)
            XCTFail("start-up must fail when the database never answers")
        } catch let error as PostgresError {
            XCTAssertTrue(error.isConnectionLevel, "\(error)")
        }
        XCTAssertTrue(sink.all.contains { $0.contains("database not reachable yet") }, "\(sink.all)")
    }

    func testStartupReportsEveryProblemAtOnceIncludingTheMigrationsFolder() {
        let decision = HostStartup.decide(ServiceDefinition(name: "orders"), arguments: ["xsc-orders"], environment: [
            "XSC_MIGRATIONS_DIR": "/nonexistent/migrations",
        ])
        guard case .exit(let status, _, let standardError) = decision else {
            return XCTFail("expected an exit, got \(decision)")
        }
        XCTAssertEqual(status, 2)
        XCTAssertTrue(standardError.contains("(3 problems)"), standardError)
        XCTAssertTrue(standardError.contains("DATABASE_URL"), standardError)
        XCTAssertTrue(standardError.contains("XSC_ACTOR_SECRET"), standardError)
        XCTAssertTrue(standardError.contains("/nonexistent/migrations"), standardError)
    }

    func testPrintConfigShowsTheMigrationsFolderAndHidesSecrets() throws {
        let folder = try migrationsFolder([:])
        let decision = HostStartup.decide(ServiceDefinition(name: "orders"), arguments: ["xsc-orders", "--print-config"],
                                          environment: [
                                              "XSC_MIGRATIONS_DIR": folder,
                                              "DATABASE_URL": "postgresql://orders:hunter2-password@db:5432/xsc",
                                              "XSC_ACTOR_SECRET": String(repeating: "s", count: 40),
                                          ])
        guard case .exit(0, let standardOutput, _) = decision else {
            return XCTFail("expected --print-config to exit 0, got \(decision)")
        }
        XCTAssertTrue(standardOutput.contains("XSC_MIGRATIONS_DIR=\(folder)"))
        XCTAssertTrue(standardOutput.contains("XSC_LISTEN=0.0.0.0:7101"))
        XCTAssertFalse(standardOutput.contains("hunter2"))
        XCTAssertFalse(standardOutput.contains(String(repeating: "s", count: 40)))
    }

    func testDefaultMigrationsFolderIsTheServicesFolderUnderTheWorkingDirectory() {
        XCTAssertEqual(MigrationsLocation.directory(service: "orders", environment: [:]), "services/orders/migrations")
        XCTAssertEqual(MigrationsLocation.directory(service: "orders", environment: ["XSC_MIGRATIONS_DIR": "/m"]), "/m")
    }

    private func assertThrowsPostgres<T>(_ expression: @autoclosure () async throws -> T, _ message: String,
                                         file: StaticString = #filePath, line: UInt = #line) async {
        do {
            _ = try await expression()
            XCTFail("expected an error: \(message)", file: file, line: line)
        } catch {
            XCTAssertTrue(error is PostgresError, "\(message): \(error)", file: file, line: line)
        }
    }
}
