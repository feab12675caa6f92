import ArgumentParser
import Foundation
import Postgres
import ServiceKit

/// `xsc db-bootstrap`: each service's schema and login role, from a superuser connection.
struct DBBootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db-bootstrap",
        abstract: "Create each service's schema and login role (operators).",
        discussion: """
        Creates each service's schema and its own login role (default: all six services), \
        connected as a superuser (--superuser-url, else DATABASE_URL). Idempotent. A service's \
        password comes from XSC_DB_PASSWORD_<SERVICE>, else DIR/<service>.db-password, else is \
        generated (and saved there when --secrets-dir is given). With --secrets-dir the service's \
        own connection string is written to DIR/<service>.database-url (mode 600); without it, \
        `<service> <url>` lines are printed.
        """)

    @Option(name: .customLong("superuser-url"), help: "A superuser connection string (default: DATABASE_URL).")
    var superuserURL: String?
    @Option(name: .customLong("secrets-dir"), help: "Where passwords and connection strings are kept (mode 600 files).")
    var secretsDir: String?
    @Option(help: "How long to wait for the database, in seconds (default 30).") var wait: Int?
    @Argument(help: "The services (default: all).") var services: [String] = []

    func run() async throws {
        let environment = ProcessEnvironment.current()
        guard let superuserURL = self.superuserURL ?? environment["DATABASE_URL"], !superuserURL.isEmpty else {
            throw CLIError.usage("give --superuser-url or set DATABASE_URL (a superuser connection)")
        }
        let services = self.services.isEmpty ? ServicePorts.services : self.services
        for service in services where ServicePorts.index(of: service) == nil {
            throw CLIError.usage("unknown service \(service) (known: \(ServicePorts.services.joined(separator: ", ")))")
        }
        let secrets = secretsDir.map(SecretsFolder.init(path:))
        try secrets?.create()
        let waitLimit = try positiveSeconds(wait, option: "--wait", default: 30)

        var configuration = PostgresConfiguration(connectionString: superuserURL)
        configuration.maxConnections = 1
        configuration.applicationName = "xsc-db-bootstrap"
        let pool = try PostgresPool(configuration: configuration)
        defer { pool.close() }
        try await Self.waitForDatabase(pool, limit: .seconds(waitLimit))

        for service in services {
            let password = try Self.password(for: service, environment: environment, secrets: secrets)
            try await SchemaBootstrap.run(superuserPool: pool, service: service, password: password)
            let url = try SchemaBootstrap.serviceConnectionString(superuser: superuserURL, service: service,
                                                                  password: password)
            if let secrets {
                try secrets.write(url, name: "\(service).database-url")
                print("\(service): schema and role ready (connection string in \(secrets.path)/\(service).database-url)")
            } else {
                print("\(service)\t\(url)")
            }
        }
    }

    /// XSC_DB_PASSWORD_<SERVICE>, else the saved one, else a new random one (saved if possible).
    private static func password(for service: String, environment: [String: String],
                                 secrets: SecretsFolder?) throws -> String {
        if let given = environment["XSC_DB_PASSWORD_" + service.uppercased()], !given.isEmpty { return given }
        let fileName = "\(service).db-password"
        if let saved = try secrets?.read(fileName) { return saved }
        let generated = randomPassword()
        try secrets?.write(generated, name: fileName)
        return generated
    }

    private static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<3).map { _ in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    private static func waitForDatabase(_ pool: PostgresPool, limit: Duration) async throws {
        let giveUpAt = ContinuousClock.now + limit
        while true {
            do {
                try await pool.ping()
                return
            } catch let error as PostgresError where error.isConnectionLevel && ContinuousClock.now < giveUpAt {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }
}

/// A folder of small secret files (mode 600 in a mode 700 folder).
struct SecretsFolder {
    let path: String

    func create() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    func read(_ name: String) throws -> String? {
        let file = path + "/" + name
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    func write(_ value: String, name: String) throws {
        let file = path + "/" + name
        // Created with mode 600 before the secret is written, so it is never readable by others.
        _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600])
        try (value + "\n").write(toFile: file, atomically: false, encoding: .utf8)
    }
}
