import ArgumentParser
import Postgres
import ServiceKit
import ServiceKitStore

/// `xsc outbox`: an operator's view of one service's outbox, connected as that service's own
/// role (its DATABASE_URL): the backlog per route, the dead letters, and replaying them once
/// the receiver is fixed or deployed.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "One service's outbox: backlog, dead letters, replay (operators).",
        discussion: """
        Connected as that service (--database-url, else DATABASE_URL): backlog prints per route \
        (destination, method) the rows waiting, the age of the oldest and the dead letters (also \
        on /metrics: xsc_outbox_pending, _oldest_pending_age_seconds, _dead); dead lists dead \
        letters with their last error; replay makes the named dead letters (--event, repeatable) \
        or all of them (--all) due again.
        """,
        subcommands: [Backlog.self, Dead.self, Replay.self])

    func run() throws {
        throw CLIError.usage("say what to do: xsc outbox backlog | dead | replay (--event ID ... | --all)")
    }

    struct Connection: ParsableArguments {
        @Option(name: .customLong("database-url"), help: "The service's own connection string (default: DATABASE_URL).")
        var databaseURL: String?

        func pool() throws -> PostgresPool {
            let environment = ProcessEnvironment.current()
            guard let url = databaseURL ?? environment["DATABASE_URL"], !url.isEmpty else {
                throw CLIError.usage("give --database-url or set DATABASE_URL (the service's own connection string)")
            }
            var configuration = PostgresConfiguration(connectionString: url)
            configuration.maxConnections = 1
            configuration.applicationName = "xsc-outbox"
            return try PostgresPool(configuration: configuration)
        }
    }

    struct Backlog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows waiting per route, the oldest's age, dead letters.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let pool = try connection.pool()
            defer { pool.close() }
            print("destination\tmethod\tpending\toldest_pending_s\tdead")
            for route in try await Outbox().backlog(pool: pool) {
                print("\(route.destination)\t\(route.methodPath)\t\(route.pending)\t\(route.oldestPendingAgeMillis / 1000)\t\(route.dead)")
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dead letters with their last error.")
        @OptionGroup var connection: Connection
        @Option(help: "At most this many (default 100).") var limit: Int?

        func run() async throws {
            let limit = try positiveSeconds(self.limit, option: "--limit", default: 100)
            let pool = try connection.pool()
            defer { pool.close() }
            print("event_id\tdestination\tmethod\tattempts\tlast_error")
            for entry in try await Outbox().deadLetters(pool: pool, limit: limit) {
                print("\(entry.eventID)\t\(entry.destination)\t\(entry.methodPath)\t\(entry.attempts)\t\(entry.lastError ?? "")")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make dead letters due again.")
        @OptionGroup var connection: Connection
        @Option(name: .customLong("event"), help: "A dead letter's event id (repeatable).") var events: [String] = []
        @Flag(help: "Every dead letter.") var all = false

        func run() async throws {
            guard all != !events.isEmpty else {
                throw CLIError.usage("replay needs --event ID (repeatable) or --all, not both")
            }
            let pool = try connection.pool()
            defer { pool.close() }
            let count = try await Outbox().redrive(pool: pool, eventIDs: all ? nil : events)
            print("replaying \(count) dead letter(s): they are due now, the service's relay delivers them")
        }
    }
}
