import Foundation
import Gateway
import Postgres
import ServiceKitStore
import XCTest
import XSCTestSupport

/// A fresh database with a gateway schema as `xsc-gateway` makes it at start: its own role, the
/// platform migrations (outbox, idempotency keys ...) and the gateway's own.
enum GatewayDatabase {
    static func make(_ testCase: XCTestCase) async throws -> PostgresPool {
        let cluster = try testCase.requireCluster()
        let database = try await cluster.makeDatabase()
        let admin = try cluster.pool(database)
        defer { admin.close() }
        let schema = "gateway_" + UUID().uuidString.lowercased().prefix(8)
        let password = UUID().uuidString
        try await SchemaBootstrap.run(superuserPool: admin, service: schema, password: password)
        let url = try SchemaBootstrap.serviceConnectionString(superuser: database, service: schema, password: password)
        let pool = try cluster.pool(url) { $0.maxConnections = 4 }
        try await PlatformMigrations.migrator(schema: schema, directory: TestCluster.repositoryRoot + "/services/gateway/migrations")
            .migrate(pool: pool)
        _ = try await OrgStore(pool: pool).insert(kind: .hq, slug: "hq", name: "HQ", parentPath: nil)
        return pool
    }
}
