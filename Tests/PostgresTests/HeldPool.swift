import Postgres
import XSCTestSupport

/// A pool of one connection that a task holds until `release()`, so the next caller has to
/// wait for it (and times out after `acquireTimeout`).
struct HeldPool {
    let pool: PostgresPool
    private let holder: Task<Void, Error>
    private let releaseLatch: Latch

    static func make(_ cluster: TestCluster, acquireTimeout: Duration = .milliseconds(200),
                     maxWaiters: Int = 64) async throws -> HeldPool {
        let pool = try cluster.pool(cluster.url) {
            $0.maxConnections = 1
            $0.acquireTimeout = acquireTimeout
            $0.maxWaiters = maxWaiters
        }
        let holding = Latch(), release = Latch()
        let holder = Task {
            try await pool.withConnection { connection in
                try await connection.query("SELECT 1")
                holding.open()
                await release.wait()
            }
        }
        await holding.wait()
        return HeldPool(pool: pool, holder: holder, releaseLatch: release)
    }

    /// Gives the connection back (and waits until the holder is done).
    func release() async throws {
        releaseLatch.open()
        try await holder.value
    }
}
