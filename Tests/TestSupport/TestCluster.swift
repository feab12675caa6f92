import Foundation
import LibPQ
import Postgres
import XCTest

/// Shared by the test targets that need PostgreSQL (XSCTestSupport).
/// The PostgreSQL server the tests run against: DATABASE_URL (and XSC_PG_DIR, if the caller
/// started it with scripts/pg/start-test-postgres.sh) from the environment, otherwise a
/// throwaway cluster started here with that script and removed when the test process exits.
public final class TestCluster: Sendable {
    public let url: String
    /// The cluster folder when we know it (needed to stop/start the server).
    public let folder: String?

    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Started once per test process, on first use.
    public static let shared: Result<TestCluster, Error> = {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return .success(TestCluster(url: url, folder: environment["XSC_PG_DIR"]))
        }
        do {
            let cluster = try TestCluster.start()
            atexit { TestCluster.stopSharedAtExit() }
            return .success(cluster)
        } catch {
            print("!!! no DATABASE_URL and the test cluster could not be started: \(error)")
            return .failure(error)
        }
    }()

    public init(url: String, folder: String?) {
        self.url = url
        self.folder = folder
    }

    public static func sharedOrFail() throws -> TestCluster {
        try shared.get()
    }

    /// A new cluster of its own (for tests that stop the server).
    public static func start() throws -> TestCluster {
        let output = try runScript("start-test-postgres.sh", [])
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            let value = assignment[assignment.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            values[String(assignment[..<equals])] = value
        }
        guard let url = values["DATABASE_URL"], let folder = values["XSC_PG_DIR"] else {
            throw ScriptError(message: "start-test-postgres.sh printed no DATABASE_URL: \(output)")
        }
        return TestCluster(url: url, folder: folder)
    }

    public func stop() {
        guard let folder else { return }
        _ = try? Self.runScript("stop-test-postgres.sh", [folder])
    }

    /// stop-immediate | start
    public func control(_ action: String) throws {
        guard let folder else { throw ScriptError(message: "cluster folder unknown (set XSC_PG_DIR)") }
        _ = try Self.runScript("ctl-test-postgres.sh", [folder, action])
    }

    private static func stopSharedAtExit() {
        if case .success(let cluster) = shared { cluster.stop() }
    }

    public struct ScriptError: Error {
        public let message: String
        public init(message: String) { self.message = message }
    }

    /// Runs one of scripts/pg with posix_spawn and waitpid. (Foundation's Process can miss
    /// the child's exit when waited on from a test's async context and hang.)
    public static func runScript(_ name: String, _ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "xsc-pg-script-\(UUID().uuidString).out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ["/bin/bash", "\(repositoryRoot)/scripts/pg/\(name)"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &cArgs, environ)
        guard spawned == 0 else { throw ScriptError(message: "cannot run \(name): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exitCode == 0 else {
            throw ScriptError(message: "\(name) failed (status \(status)): \(text)")
        }
        return text
    }

    /// A fresh, empty database on this cluster, so tests never see each other's tables.
    /// (Test scaffolding: CREATE DATABASE cannot take a parameter, and the name is generated.)
    /// FILE_COPY: PostgreSQL 15's default (WAL_LOG) writes the whole template through the WAL,
    /// about five times slower here per database, and the WAL then also has to be deleted.
    public func makeDatabase() async throws -> String {
        let name = "xsc_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresPool(configuration: PostgresConfiguration(connectionString: url))
        defer { admin.close() }
        try await admin.withConnection { connection in
            try await connection.executeScript("CREATE DATABASE \(name) STRATEGY FILE_COPY")
        }
        return try ConnInfo.replacing(url, with: ["dbname": String(name)])
    }

    public func pool(_ connectionString: String, configure: (inout PostgresConfiguration) -> Void = { _ in }) throws -> PostgresPool {
        var configuration = PostgresConfiguration(connectionString: connectionString)
        configure(&configuration)
        return try PostgresPool(configuration: configuration)
    }
}

extension XCTestCase {
    /// Every test here needs a real server; say so loudly when there is none.
    public func requireCluster() throws -> TestCluster {
        do {
            return try TestCluster.sharedOrFail()
        } catch {
            XCTFail("PostgreSQL needed: set DATABASE_URL or make scripts/pg/start-test-postgres.sh work (\(error))")
            throw error
        }
    }

    public func assertPostgresError<T>(_ expression: @autoclosure () async throws -> T,
                                file: StaticString = #filePath, line: UInt = #line,
                                _ check: (PostgresError) -> Void) async {
        do {
            let value = try await expression()
            XCTFail("expected a PostgresError, got \(value)", file: file, line: line)
        } catch let error as PostgresError {
            check(error)
        } catch {
            XCTFail("expected a PostgresError, got \(error)", file: file, line: line)
        }
    }
}
