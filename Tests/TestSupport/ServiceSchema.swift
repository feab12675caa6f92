import Postgres

/// One service's schema in a `ServiceDatabase`: its name (also its role's name, as
/// `SchemaBootstrap` makes them) and what is in it.
public struct ServiceSchema: Sendable, Equatable {
    public let name: String
    /// The service's own migrations, applied after the platform's (`PlatformMigrations`); nil
    /// leaves the schema empty (bootstrapped only) for code that migrates by itself (ServiceHost).
    public let migrations: [Migration]?

    public init(name: String, migrations: [Migration]?) {
        self.name = name
        self.migrations = migrations
    }

    /// A real service as its executable makes it: platform migrations, then the files of
    /// `services/<name>/migrations` (read now, so an edited file means a new template).
    public static func service(_ name: String) throws -> ServiceSchema {
        ServiceSchema(name: name, migrations: try Migration.load(
            directory: TestCluster.repositoryRoot + "/services/\(name)/migrations"))
    }

    /// A made-up service (ServiceKitStore's tests): the platform migrations, then `migrations`.
    public static func custom(_ name: String, migrations: [Migration]) -> ServiceSchema {
        ServiceSchema(name: name, migrations: migrations)
    }

    /// The schema and its role, nothing in it.
    public static func bootstrapped(_ name: String) -> ServiceSchema {
        ServiceSchema(name: name, migrations: nil)
    }

    /// Identifies the template: the same names with the same migration texts share one.
    var templateKey: String {
        let content = migrations.map { list in
            list.map { "\($0.version)\u{1}\($0.name)\u{1}\($0.sql)" }.joined(separator: "\u{2}")
        } ?? "\u{3}bootstrapped-only"
        return name + "\u{0}" + content
    }
}
