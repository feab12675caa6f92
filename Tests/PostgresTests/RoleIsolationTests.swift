import XSCTestSupport
import Foundation
import Postgres
import XCTest

/// Each service's role owns its schema and can touch nothing else.
final class RoleIsolationTests: XCTestCase {
    func testServiceRoleCannotReachAnotherServicesSchema() async throws {
        let cluster = try requireCluster()
        let databaseURL = try await cluster.makeDatabase()
        let suffix = UUID().uuidString.lowercased().prefix(8)
        let orders = "orders_\(suffix)", customers = "customers_\(suffix)"
        let admin = try cluster.pool(databaseURL)
        defer { admin.close() }
        for service in [orders, customers] {
            try await SchemaBootstrap.run(superuserPool: admin, service: service, password: "secret-\(service)")
        }
        // Running it again is harmless.
        try await SchemaBootstrap.run(superuserPool: admin, service: orders, password: "secret-\(orders)")

        let customersPool = try cluster.pool(try SchemaBootstrap.serviceConnectionString(
            superuser: databaseURL, service: customers, password: "secret-\(customers)"))
        defer { customersPool.close() }
        try await Migrator(schema: customers, migrations: [
            Migration(version: 1, name: "x", sql: "CREATE TABLE x (id int); INSERT INTO x VALUES (1);"),
        ]).migrate(pool: customersPool)
        let own = try await customersPool.query("SELECT count(*) FROM x")
        XCTAssertEqual(try own[0].decode(Int64.self, at: 0), 1, "a service reads its own schema unqualified")

        let ordersPool = try cluster.pool(try SchemaBootstrap.serviceConnectionString(
            superuser: databaseURL, service: orders, password: "secret-\(orders)"))
        defer { ordersPool.close() }
        let whoami = try await ordersPool.query("SELECT current_user::text")
        XCTAssertEqual(try whoami[0].decode(String.self, at: 0), orders)

        // Test scaffolding: identifiers are generated above, never input.
        let forbidden = [
            "SELECT * FROM \(customers).x",
            "INSERT INTO \(customers).x VALUES (2)",
            "CREATE TABLE \(customers).intruder (id int)",
            "CREATE TABLE public.intruder (id int)",
        ]
        for sql in forbidden {
            await assertPostgresError(try await ordersPool.query(sql)) { error in
                XCTAssertEqual(error.sqlState, "42501", "\(sql): \(error)")
            }
        }
        // ...while its own schema is fully usable.
        try await Migrator(schema: orders, migrations: [
            Migration(version: 1, name: "t", sql: "CREATE TABLE t (id int);"),
        ]).migrate(pool: ordersPool)
        try await ordersPool.execute("INSERT INTO t VALUES ($1)", [1])
        let count = try await ordersPool.query("SELECT count(*) FROM \(orders).t")
        XCTAssertEqual(try count[0].decode(Int64.self, at: 0), 1)
        let untouched = try await customersPool.query("SELECT count(*) FROM x")
        XCTAssertEqual(try untouched[0].decode(Int64.self, at: 0), 1)
    }
}
