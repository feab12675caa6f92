import Postgres
import ServiceKit

/// The pool's usage on /metrics, read at scrape time from the pool's own counters.
enum PoolMetrics {
    static func register(_ pool: PostgresPool, in registry: MetricsRegistry) {
        registry.gaugeCallback("xsc_db_pool_connections", help: "Database pool connections by state.",
                               labels: ["state"]) { [pool] in
            let stats = pool.statistics
            return [
                GaugeSample(["idle"], Double(stats.idle)),
                GaugeSample(["in_use"], Double(stats.inUse)),
            ]
        }
        registry.gaugeCallback("xsc_db_pool_waiting", help: "Callers waiting for a pooled connection.") { [pool] in
            [GaugeSample([], Double(pool.statistics.waiting))]
        }
        registry.gaugeCallback("xsc_db_pool_max_connections", help: "The pool's connection limit.") { [pool] in
            [GaugeSample([], Double(pool.configuration.maxConnections))]
        }
    }
}
