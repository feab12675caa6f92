import XSCTestSupport
import Foundation
import Postgres
import ServiceKitStore
import Synchronization
import XCTest

/// A fresh database with made-up service schemas, each bootstrapped (own role) and migrated with
/// the platform's migrations plus the test's own, reached through the service's own role
/// (ServiceDatabase with `.custom` schemas). Service names are plain ("orders", "svc"), the same
/// in every test: each test has a database of its own, and the tests of a class, which migrate
/// the same schemas, then share one template.
final class StoreFixture: Sendable {
    let database: ServiceDatabase

    private init(database: ServiceDatabase) {
        self.database = database
    }

    static func make(_ testCase: XCTestCase, services: [String: [Migration]]) async throws -> StoreFixture {
        let schemas = services.sorted { $0.key < $1.key }.map { ServiceSchema.custom($0.key, migrations: $0.value) }
        return StoreFixture(database: try await ServiceDatabase.make(testCase, schemas: schemas))
    }

    /// A new pool as the service's role (one per simulated replica).
    func pool(_ service: String, maxConnections: Int = 10) throws -> PostgresPool {
        try database.pool(service, maxConnections: maxConnections)
    }

    func close() {
        database.close()
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
