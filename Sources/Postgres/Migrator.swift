/// Applies a service's migrations at start: under a session advisory lock (so replicas
/// starting together apply each file once), in version order, each file in its own
/// transaction together with its row in `<schema>.schema_migrations` (version, name,
/// sha256 checksum). Already-applied files are skipped; a changed one is an error.
public struct Migrator: Sendable {
    public let schema: String
    public let migrations: [Migration]

    public init(schema: String, migrations: [Migration]) throws {
        guard SchemaName.isValid(schema) else { throw MigrationError.invalidSchemaName(schema) }
        self.schema = schema
        self.migrations = migrations
    }

    /// Reads `services/<schema>/migrations` style folders.
    public init(schema: String, directory: String) throws {
        try self.init(schema: schema, migrations: Migration.load(directory: directory))
    }

    /// Returns the versions this call applied (empty when everything was applied before).
    @discardableResult
    public func migrate(pool: PostgresPool, deadline: ContinuousClock.Instant? = nil) async throws -> [Int] {
        let deadline = deadline ?? .now + .seconds(300)
        return try await pool.withConnection(deadline: deadline) { connection in
            let lockKey: [PostgresValue] = [.text("xsc.migrations." + schema)]
            try await connection.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", lockKey)
            do {
                let applied = try await applyPending(connection)
                try await connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lockKey)
                return applied
            } catch {
                // The lease ends with a ROLLBACK; the lock must go explicitly (or with the
                // connection, if that is what failed).
                _ = try? await connection.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", lockKey)
                throw error
            }
        }
    }

    private func applyPending(_ connection: PostgresConnection) async throws -> [Int] {
        let exists = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema)])
        guard !exists.isEmpty else { throw MigrationError.schemaMissing(schema) }

        // search_path is set per transaction (is_local = true) so the pooled connection keeps
        // its own afterwards, and SQL here and in the files can name tables unqualified.
        let inSchema = PostgresStatement("SELECT set_config('search_path', $1, true)", [.text(schema)])
        try await connection.run([
            PostgresStatement("BEGIN"), inSchema,
            PostgresStatement("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, prepared: false),
            PostgresStatement("COMMIT"),
        ])
        let appliedRows = try await connection.run([
            inSchema, PostgresStatement("SELECT version, checksum FROM schema_migrations", prepared: false),
        ])[1]
        var appliedChecksums: [Int: String] = [:]
        for row in appliedRows {
            appliedChecksums[try row.decode(Int.self, at: 0)] = try row.decode(String.self, at: 1)
        }

        var appliedNow: [Int] = []
        for migration in migrations {
            let checksum = try await checksum(of: migration, connection)
            if let recorded = appliedChecksums[migration.version] {
                guard recorded == checksum else {
                    throw MigrationError.checksumMismatch(version: migration.version, name: migration.name)
                }
                continue
            }
            try await connection.run([PostgresStatement("BEGIN"), inSchema])
            try await connection.executeScript(migration.sql)
            try await connection.run([
                PostgresStatement("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                  [.int(migration.version), .text(migration.name), .text(checksum)], prepared: false),
                PostgresStatement("COMMIT"),
            ])
            appliedNow.append(migration.version)
        }
        return appliedNow
    }

    private func checksum(of migration: Migration, _ connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query("SELECT encode(sha256($1), 'hex')", [.bytea(Array(migration.sql.utf8))])
        return try rows[0].decode(String.self, at: 0)
    }
}
