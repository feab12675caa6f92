import Postgres
import ServiceKit

/// Start-up's first contact with the database: migrate, retrying while the database is
/// unreachable (connection-level errors only; a failing migration or a missing schema is a
/// real error and ends start-up at once).
enum DatabaseWait {
    static func migrate(_ migrator: Migrator, pool: PostgresPool, logger: Logger, limit: Duration) async throws -> [Int] {
        let clock = ContinuousClock()
        let giveUpAt = clock.now + limit
        var pause: Duration = .milliseconds(200)
        var warned = false
        while true {
            do {
                return try await migrator.migrate(pool: pool)
            } catch let error as PostgresError where error.isConnectionLevel && clock.now + pause < giveUpAt {
                if !warned {
                    logger.warning("database not reachable yet: retrying", ["error": .string(String(describing: error)),
                                                                         "limit_s": .int(limit.components.seconds)])
                    warned = true
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }
}
