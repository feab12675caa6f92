import Postgres
import Synchronization
import XCTest

// A fresh database per test with service schemas as the services make them at start: each
// schema bootstrapped with its own role (`SchemaBootstrap`), migrated with the platform's
// migrations (`PlatformMigrations`) and then the service's files, and pools as that role.
// Migrated once per test process into a template and cloned per test (TemplateDatabases.swift).
// A new service's tests (say Tests/CustomersTests) need only:
//
//     let database = try await ServiceDatabase.make(self, service: "customers")  // services/customers/migrations
//     defer { database.close() }                        // or in tearDown: closes every pool it gave out
//     let flow = CustomerFlow(pool: database.pool, clock: clock.now)              // the role `customers`
//     try await seed(flow)                              // the suite's own data, as before
//     let replica = try database.pool("customers", maxConnections: 2)             // a second process, say
//
// Several services in one database: `make(self, schemas: [.service("orders"), .custom("peer", migrations: [...])])`;
// a schema and role with nothing in it (code that migrates by itself): `.bootstrapped("orders")`.

/// One test's database; see the comment above.
public final class ServiceDatabase: Sendable {
    public let cluster: TestCluster
    /// The database as the superuser, to look behind a service's back or set up what its role may not.
    public let superuserURL: String
    public let schemas: [ServiceSchema]
    /// A pool as the first schema's role.
    public let pool: PostgresPool
    private let opened = Mutex<[PostgresPool]>([])

    /// The real service `service`: `services/<service>/migrations` after the platform's.
    public static func make(_ testCase: XCTestCase, service: String, maxConnections: Int = 10) async throws -> ServiceDatabase {
        try await make(testCase, schemas: [.service(service)], maxConnections: maxConnections)
    }

    /// `pool` is a pool as the first schema's role with `maxConnections`.
    public static func make(_ testCase: XCTestCase, schemas: [ServiceSchema], maxConnections: Int = 10) async throws -> ServiceDatabase {
        guard let first = schemas.first else { throw TestCluster.ScriptError(message: "ServiceDatabase needs a schema") }
        let cluster = try testCase.requireCluster()
        let url = try await TemplateDatabases.shared.clone(schemas, on: cluster)
        return try ServiceDatabase(cluster: cluster, superuserURL: url, schemas: schemas, first: first.name,
                                   maxConnections: maxConnections)
    }

    private init(cluster: TestCluster, superuserURL: String, schemas: [ServiceSchema], first: String,
                 maxConnections: Int) throws {
        self.cluster = cluster
        self.superuserURL = superuserURL
        self.schemas = schemas
        let roleURL = try Self.url(superuserURL, schemas: schemas, service: first)
        let pool = try cluster.pool(roleURL) { $0.maxConnections = maxConnections }
        self.pool = pool
        opened.withLock { $0.append(pool) }
    }

    /// The connection string of `service`'s own role (what its DATABASE_URL would be).
    public func url(_ service: String) throws -> String {
        try Self.url(superuserURL, schemas: schemas, service: service)
    }

    /// A new pool as `service`'s role (another replica, a worker of its own); closed by `close()`.
    public func pool(_ service: String, maxConnections: Int = 10,
                     configure: (inout PostgresConfiguration) -> Void = { _ in }) throws -> PostgresPool {
        let pool = try cluster.pool(try url(service)) {
            $0.maxConnections = maxConnections
            configure(&$0)
        }
        opened.withLock { $0.append(pool) }
        return pool
    }

    /// A new pool as the superuser on this database; closed by `close()`.
    public func superuserPool() throws -> PostgresPool {
        let pool = try cluster.pool(superuserURL) { $0.maxConnections = 2 }
        opened.withLock { $0.append(pool) }
        return pool
    }

    /// Closes every pool handed out. The database stays (the test cluster is thrown away).
    public func close() {
        opened.withLock { $0 }.forEach { $0.close() }
    }

    private static func url(_ superuserURL: String, schemas: [ServiceSchema], service: String) throws -> String {
        guard schemas.contains(where: { $0.name == service }) else {
            throw TestCluster.ScriptError(message: "no schema \(service) in this database (\(schemas.map(\.name)))")
        }
        return try SchemaBootstrap.serviceConnectionString(superuser: superuserURL, service: service,
                                                           password: TemplateDatabases.shared.password(for: service))
    }
}
