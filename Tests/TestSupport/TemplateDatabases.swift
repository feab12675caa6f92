import Foundation
import LibPQ
import Postgres
import ServiceKitStore
import Synchronization

/// The template databases of this test process, one per set of service schemas, and the one
/// password each service role gets in this process.
///
/// Why templates: bootstrapping a schema and running the platform's and a service's migrations
/// is dozens of statements and transactions per test; `CREATE DATABASE x TEMPLATE t` copies a
/// finished one at file level. So a set is migrated once per process and cloned per test.
///
/// Why one gate for everything: CREATE DATABASE ... TEMPLATE fails while any other session is
/// connected to the template, and building one connects to it; so template builds and clones
/// of this process go one at a time, and a finished template refuses connections altogether.
///
/// Why one password per role: roles belong to the server, not to a database, and bootstrapping
/// sets the password. Two sets naming one service (orders' own tests, ServiceHost's) would
/// otherwise change each other's password and break the clones of the first one.
final class TemplateDatabases: Sendable {
    static let shared = TemplateDatabases()

    private struct State {
        /// Cluster URL + schema set key -> template database name.
        var templates: [String: String] = [:]
        var passwords: [String: String] = [:]
        /// One superuser connection per cluster for CREATE DATABASE (on its default database).
        var admins: [String: PostgresPool] = [:]
    }

    private let state = Mutex(State())
    private let gate = AsyncGate()

    func password(for role: String) -> String {
        state.withLock { state in
            if let known = state.passwords[role] { return known }
            let made = UUID().uuidString
            state.passwords[role] = made
            return made
        }
    }

    /// A new database cloned from the template of `schemas` (built first when this process has
    /// none yet); its superuser connection string.
    func clone(_ schemas: [ServiceSchema], on cluster: TestCluster) async throws -> String {
        let key = cluster.url + "\u{4}" + schemas.map(\.templateKey).joined(separator: "\u{5}")
        return try await gate.withGate {
            let admin = try adminPool(cluster)
            let template: String
            if let known = state.withLock({ $0.templates[key] }) {
                template = known
            } else {
                template = try await build(schemas, cluster: cluster, admin: admin)
                state.withLock { $0.templates[key] = template }
            }
            let name = Self.newName("xsc_test_")
            try await createDatabase(name, template: template, admin: admin)
            return try ConnInfo.replacing(cluster.url, with: ["dbname": name])
        }
    }

    private func adminPool(_ cluster: TestCluster) throws -> PostgresPool {
        try state.withLock { state in
            if let pool = state.admins[cluster.url] { return pool }
            let pool = try cluster.pool(cluster.url) { $0.maxConnections = 1 }
            state.admins[cluster.url] = pool
            return pool
        }
    }

    private func build(_ schemas: [ServiceSchema], cluster: TestCluster, admin: PostgresPool) async throws -> String {
        let name = Self.newName("xsc_template_")
        // Test scaffolding: CREATE/ALTER DATABASE take no parameters; the name is generated.
        try await admin.withConnection { try await $0.executeScript("CREATE DATABASE \(name) STRATEGY FILE_COPY") }
        let url = try ConnInfo.replacing(cluster.url, with: ["dbname": name])
        let superuser = try cluster.pool(url) { $0.maxConnections = 1 }
        do {
            for schema in schemas {
                try await prepare(schema, superuser: superuser, databaseURL: url, cluster: cluster)
            }
            superuser.close()
        } catch {
            superuser.close()
            throw error
        }
        // A stray connection to a template would make every clone wait and then fail.
        try await admin.withConnection {
            try await $0.executeScript("ALTER DATABASE \(name) WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        }
        return name
    }

    /// The schema and role as `xsc db-bootstrap` makes them, then migrated as that role, as the
    /// service's start-up does.
    private func prepare(_ schema: ServiceSchema, superuser: PostgresPool, databaseURL: String,
                         cluster: TestCluster) async throws {
        let password = password(for: schema.name)
        try await SchemaBootstrap.run(superuserPool: superuser, service: schema.name, password: password)
        guard let migrations = schema.migrations else { return }
        let roleURL = try SchemaBootstrap.serviceConnectionString(superuser: databaseURL, service: schema.name,
                                                                  password: password)
        let role = try cluster.pool(roleURL) { $0.maxConnections = 1 }
        defer { role.close() }
        try await PlatformMigrations.migrator(schema: schema.name, serviceMigrations: migrations).migrate(pool: role)
    }

    private func createDatabase(_ name: String, template: String, admin: PostgresPool) async throws {
        var attempts = 0
        while true {
            do {
                // FILE_COPY: see TestCluster.makeDatabase.
                try await admin.withConnection {
                    try await $0.executeScript("CREATE DATABASE \(name) TEMPLATE \(template) STRATEGY FILE_COPY")
                }
                return
            } catch let error as PostgresError where error.sqlState == "55006" && attempts < 10 {
                // "source database is being accessed by other users": the build's own sessions
                // end asynchronously after their pools close (the server already waits ~5 s).
                attempts += 1
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private static func newName(_ prefix: String) -> String {
        prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }
}
