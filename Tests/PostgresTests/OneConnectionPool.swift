import XSCTestSupport
import Postgres

extension TestCluster {
    /// A pool of one connection that never health-checks on its own (so a test decides when the
    /// connection is looked at), and a second pool for the test's own admin statements
    /// (pg_terminate_backend and the like). Close both.
    func oneConnectionPoolWithAdmin() throws -> (pool: PostgresPool, admin: PostgresPool) {
        let pool = try self.pool(url) {
            $0.maxConnections = 1
            $0.healthCheckInterval = .seconds(3600)
        }
        return (pool, try self.pool(url))
    }
}
