import Postgres
import ServiceKit
import ServiceKitStore

/// `xsc outbox`: an operator's view of one service's outbox, connected as that service's own
/// role (its DATABASE_URL): the backlog per route, the dead letters, and replaying them once
/// the receiver is fixed or deployed.
enum OutboxCommand {
    static func run(_ options: Options, environment: [String: String]) async throws -> Int32 {
        var options = options
        try options.parse(valued: ["database-url", "event", "limit"], flags: ["all"])
        guard let action = options.positional.first, options.positional.count == 1 else {
            throw CLIError.usage("say what to do: xsc outbox backlog | dead | replay (--event ID ... | --all)")
        }
        guard let url = options.value("database-url") ?? environment["DATABASE_URL"], !url.isEmpty else {
            throw CLIError.usage("give --database-url or set DATABASE_URL (the service's own connection string)")
        }
        var configuration = PostgresConfiguration(connectionString: url)
        configuration.maxConnections = 1
        configuration.applicationName = "xsc-outbox"
        let pool = try PostgresPool(configuration: configuration)
        defer { pool.close() }
        let outbox = Outbox()
        switch action {
        case "backlog":
            let routes = try await outbox.backlog(pool: pool)
            print("destination\tmethod\tpending\toldest_pending_s\tdead")
            for route in routes {
                print("\(route.destination)\t\(route.methodPath)\t\(route.pending)\t\(route.oldestPendingAgeMillis / 1000)\t\(route.dead)")
            }
        case "dead":
            let limit = try options.seconds("limit", default: 100)
            print("event_id\tdestination\tmethod\tattempts\tlast_error")
            for entry in try await outbox.deadLetters(pool: pool, limit: limit) {
                print("\(entry.eventID)\t\(entry.destination)\t\(entry.methodPath)\t\(entry.attempts)\t\(entry.lastError ?? "")")
            }
        case "replay":
            let events = options.values("event")
            guard options.has("all") != !events.isEmpty else {
                throw CLIError.usage("replay needs --event ID (repeatable) or --all, not both")
            }
            let count = try await outbox.redrive(pool: pool, eventIDs: options.has("all") ? nil : events)
            print("replaying \(count) dead letter(s): they are due now, the service's relay delivers them")
        default:
            throw CLIError.usage("unknown outbox action \(action) (backlog, dead, replay)")
        }
        return 0
    }
}
