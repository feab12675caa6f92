import Gateway
import Postgres
import XCTest
import XSCTestSupport

/// A fresh database with the gateway schema as `xsc-gateway` makes it at start (ServiceDatabase:
/// its own role, the platform migrations and the gateway's own), and the org tree's root.
enum GatewayDatabase {
    /// The returned pool is the database's: closing it is all a test has to do.
    static func make(_ testCase: XCTestCase) async throws -> PostgresPool {
        let database = try await ServiceDatabase.make(testCase, service: "gateway", maxConnections: 4)
        _ = try await OrgStore(pool: database.pool).insert(kind: .hq, slug: "hq", name: "HQ", parentPath: nil)
        return database.pool
    }
}
