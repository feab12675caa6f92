import Postgres

/// The platform's tables (idempotency keys, outbox, processed events, timers), created in
/// every service's own schema by the ordinary `Migrator`, before the service's files.
///
/// Versioning: platform migrations take the versions below 1 (-999, -998, ...), which a
/// migration *file* can never have (`NNNN_name.sql` requires a version >= 1). So both kinds
/// share the one `schema_migrations` record, the one advisory lock and the checksum check,
/// sort before every service file, and can never collide with one. Like any applied
/// migration, a released platform migration is never edited: a change is a new entry.
public enum PlatformMigrations {
    /// Version of the n-th platform migration (n from 1).
    static func version(_ n: Int) -> Int { n - 1000 }

    public static let all: [Migration] = [
        Migration(version: version(1), name: "xsc_platform_idempotency_keys", sql: """
            CREATE TABLE xsc_idempotency_keys (
                scope text NOT NULL,
                idempotency_key text NOT NULL,
                request_sha256 bytea NOT NULL,
                -- NULL until the business transaction records its answer (same transaction).
                status_code integer,
                status_message text,
                response bytea,
                created_at timestamptz NOT NULL,
                PRIMARY KEY (scope, idempotency_key)
            );
            CREATE INDEX xsc_idempotency_keys_created_at ON xsc_idempotency_keys (created_at);
            """),
        Migration(version: version(2), name: "xsc_platform_outbox", sql: """
            CREATE TABLE xsc_outbox (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id text NOT NULL UNIQUE,
                destination text NOT NULL,
                method_path text NOT NULL,
                payload bytea NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                -- When a pending row may next be claimed; a claim pushes it out by the lease,
                -- so a relay that dies mid-delivery leaves rows that become due again.
                next_attempt_at timestamptz NOT NULL,
                lease_token bigint,
                last_error text,
                created_at timestamptz NOT NULL,
                delivered_at timestamptz
            );
            CREATE INDEX xsc_outbox_due ON xsc_outbox (next_attempt_at, id) WHERE state = 'pending';
            CREATE INDEX xsc_outbox_delivered ON xsc_outbox (delivered_at) WHERE state = 'delivered';
            CREATE INDEX xsc_outbox_dead ON xsc_outbox (id) WHERE state = 'dead';
            """),
        Migration(version: version(3), name: "xsc_platform_processed_events", sql: """
            CREATE TABLE xsc_processed_events (
                event_id text PRIMARY KEY,
                processed_at timestamptz NOT NULL
            );
            CREATE INDEX xsc_processed_events_processed_at ON xsc_processed_events (processed_at);
            """),
        Migration(version: version(4), name: "xsc_platform_timers", sql: """
            CREATE TABLE xsc_timers (
                kind text NOT NULL,
                subject_id text NOT NULL,
                -- Bumped by every schedule, so a handler that re-schedules its own timer is
                -- not overwritten when the firing is recorded.
                generation bigint NOT NULL DEFAULT 1,
                due_at timestamptz NOT NULL,
                -- When a worker may next claim it: due_at, later after a failed handler.
                fire_at timestamptz NOT NULL,
                payload bytea NOT NULL,
                state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'dead')),
                attempts integer NOT NULL DEFAULT 0,
                last_error text,
                scheduled_at timestamptz NOT NULL,
                fired_at timestamptz,
                PRIMARY KEY (kind, subject_id)
            );
            CREATE INDEX xsc_timers_due ON xsc_timers (fire_at) WHERE state = 'pending';
            CREATE INDEX xsc_timers_fired ON xsc_timers (fired_at) WHERE state = 'fired';
            """),
        // The gateway's account directory as this service received it (AccountDirectory).
        Migration(version: version(5), name: "xsc_platform_directory", sql: """
            CREATE TABLE xsc_directory (
                account_id text PRIMARY KEY,
                name text NOT NULL,
                domain_role text NOT NULL,
                node_path text NOT NULL,
                enabled boolean NOT NULL,
                version bigint NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX xsc_directory_node ON xsc_directory (node_path text_pattern_ops);
            """),
        // The W3C traceparent of the work that queued a message, sent with its delivery, so the
        // receiving service continues the same trace (README, "Tracing").
        Migration(version: version(6), name: "xsc_platform_outbox_trace", sql: """
            ALTER TABLE xsc_outbox ADD COLUMN traceparent text;
            """),
        // A claim's lease in a column no index holds, so that claiming a row (attempts,
        // lease_token, leased_until) is a HOT update: no new index entries, no dead ones for the
        // next claim to walk past (migration 2's claim pushed the indexed next_attempt_at out).
        // Room on each page for those in-page versions: fillfactor (new pages only; an outbox's
        // rows are short-lived, so the table turns over to them soon).
        Migration(version: version(7), name: "xsc_platform_outbox_hot_lease", sql: """
            ALTER TABLE xsc_outbox ADD COLUMN leased_until timestamptz;
            ALTER TABLE xsc_outbox SET (fillfactor = 70);
            """),
    ]

    /// The migrator a service runs at start: the platform's migrations, then its own.
    public static func migrator(schema: String, serviceMigrations: [Migration]) throws -> Migrator {
        if let clash = serviceMigrations.first(where: { $0.version < 1 }) {
            throw PlatformMigrationError.reservedVersion(clash.version, name: clash.name)
        }
        let ordered = all + serviceMigrations.sorted { $0.version < $1.version }
        return try Migrator(schema: schema, migrations: ordered)
    }

    /// Same, reading the service's `services/<name>/migrations` folder.
    public static func migrator(schema: String, directory: String) throws -> Migrator {
        try migrator(schema: schema, serviceMigrations: Migration.load(directory: directory))
    }
}

public enum PlatformMigrationError: Error, Equatable, CustomStringConvertible {
    case reservedVersion(Int, name: String)

    public var description: String {
        switch self {
        case .reservedVersion(let version, let name):
            return "service migration \(name) has version \(version): versions below 1 belong to the platform"
        }
    }
}
