import XSCTestSupport
import Foundation
import Postgres
import ServiceKitStore
import Synchronization
import XCTest

/// A fresh database with service schemas, each bootstrapped (own role) and migrated with the
/// platform's migrations plus the test's own, reached through the service's own role.
final class StoreFixture: @unchecked Sendable {
    let cluster: TestCluster
    let databaseURL: String
    private var urls: [String: String] = [:]
    private var pools: [PostgresPool] = []

    private init(cluster: TestCluster, databaseURL: String) {
        self.cluster = cluster
        self.databaseURL = databaseURL
    }

    static func make(_ testCase: XCTestCase, services: [String: [Migration]]) async throws -> StoreFixture {
        let cluster = try testCase.requireCluster()
        let fixture = StoreFixture(cluster: cluster, databaseURL: try await cluster.makeDatabase())
        let admin = try cluster.pool(fixture.databaseURL)
        defer { admin.close() }
        for (service, migrations) in services.sorted(by: { $0.key < $1.key }) {
            let password = UUID().uuidString
            try await SchemaBootstrap.run(superuserPool: admin, service: service, password: password)
            fixture.urls[service] = try SchemaBootstrap.serviceConnectionString(
                superuser: fixture.databaseURL, service: service, password: password)
            let pool = try fixture.pool(service)
            try await PlatformMigrations.migrator(schema: service, serviceMigrations: migrations).migrate(pool: pool)
        }
        return fixture
    }

    static func uniqueServiceName(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().prefix(8)
    }

    /// A new pool as the service's role (one per simulated replica).
    func pool(_ service: String, maxConnections: Int = 10) throws -> PostgresPool {
        guard let url = urls[service] else { throw TestCluster.ScriptError(message: "unknown service \(service)") }
        let pool = try cluster.pool(url) { $0.maxConnections = maxConnections }
        pools.append(pool)
        return pool
    }

    func close() {
        pools.forEach { $0.close() }
    }
}

/// Polls `condition` until it holds, failing the test if it never does within `limit` (a
/// bound against hanging, not a performance assertion).
func eventually(_ description: String, limit: Duration = .seconds(60), file: StaticString = #filePath, line: UInt = #line,
                _ condition: () async throws -> Bool) async throws {
    let giveUp = ContinuousClock.now + limit
    while ContinuousClock.now < giveUp {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("never happened: \(description)", file: file, line: line)
    throw TestCluster.ScriptError(message: "never happened: \(description)")
}

extension PostgresPool {
    func count(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await query(sql, parameters)[0].decode(Int.self, at: 0)
    }
}

/// A boolean shared between a test and the handlers it installs.
final class Switch: Sendable {
    private let state: Mutex<Bool>
    init(_ on: Bool) { state = Mutex(on) }
    var isOn: Bool { state.withLock { $0 } }
    func set(_ on: Bool) { state.withLock { $0 = on } }
}
