import Foundation
import LibPQ
import Postgres
import XCTest

/// The PostgreSQL server of these tests: DATABASE_URL (a superuser URL, as `make test` exports
/// it). Each test gets a database of its own so service names never collide between tests.
enum TestDatabase {
    static func superuserURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            XCTFail("ServiceHostTests need PostgreSQL: run `make test`, or eval \"$(scripts/pg/start-test-postgres.sh)\" first")
            throw XCTSkip("no DATABASE_URL")
        }
        return url
    }

    /// A fresh database on the test server; its superuser connection string.
    static func fresh() async throws -> String {
        let url = try superuserURL()
        let name = "xsc_host_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresPool(configuration: PostgresConfiguration(connectionString: url))
        defer { admin.close() }
        // Test scaffolding: CREATE DATABASE takes no parameters; the name is generated above.
        try await admin.withConnection { try await $0.executeScript("CREATE DATABASE \(name)") }
        return try ConnInfo.replacing(url, with: ["dbname": String(name)])
    }
}
