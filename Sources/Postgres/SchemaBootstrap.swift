import LibPQ

/// Creates a service's schema and its own login role, run with a superuser connection
/// (make up, tests). The role owns its schema and nothing else: it has no USAGE on any other
/// service's schema nor on `public`, so it cannot read or write another service's tables.
/// Safe to run again (password and privileges are re-applied) and concurrently.
public enum SchemaBootstrap {
    /// Identifiers cannot be statement parameters, so the names are quoted by the server
    /// (format %I / %L) inside a session-temporary function whose text is fixed; the service
    /// name and password only ever travel as parameters.
    static let bootstrapFunction = #"""
        CREATE OR REPLACE FUNCTION pg_temp.xsc_bootstrap_service(service text, secret text) RETURNS void
        LANGUAGE plpgsql AS $body$
        BEGIN
            IF service !~ '^[a-z_][a-z0-9_]{0,62}$' THEN
                RAISE EXCEPTION 'invalid service name %', service USING ERRCODE = '22023';
            END IF;
            PERFORM pg_advisory_xact_lock(hashtextextended('xsc.bootstrap', 0));
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = service) THEN
                EXECUTE format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', service, secret);
            ELSE
                EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L', service, secret);
            END IF;
            EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, service);
            EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, service);
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
            REVOKE ALL ON SCHEMA public FROM PUBLIC;
            EXECUTE format('ALTER ROLE %I SET search_path = %I', service, service);
        END
        $body$
        """#

    public static func run(superuserPool: PostgresPool, service: String, password: String,
                           deadline: ContinuousClock.Instant? = nil) async throws {
        guard SchemaName.isValid(service) else { throw MigrationError.invalidSchemaName(service) }
        try await superuserPool.withConnection(deadline: deadline) { connection in
            try await connection.executeScript(bootstrapFunction)
            try await connection.query("SELECT pg_temp.xsc_bootstrap_service($1, $2)",
                                       [.text(service), .text(password)])
        }
    }

    /// The service's own connection string: the superuser's with user and password replaced.
    public static func serviceConnectionString(superuser connectionString: String, service: String,
                                               password: String) throws -> String {
        try ConnInfo.replacing(connectionString, with: ["user": service, "password": password])
    }
}
