enum Usage {
    static let text = """
    xsc: the XSC command-line client

    USAGE
      xsc mint-actor --audience SERVICE --account ID [--role staff|manager|admin|partner|system] [--team PATH]
                     [--ttl SECONDS] [--request-id ID] [--plain]
          Prints a signed actor context (XSC_ACTOR_SECRET from the environment) as grpcurl -H
          arguments, to call one service directly without the gateway. The actor is valid only
          at SERVICE (orders, notifications, ...) and for at most 3600 s (--ttl, default 3600). --plain prints
          `name: base64` lines instead (grpcio metadata, scripts).
          e.g. eval grpcurl -plaintext $(xsc mint-actor --audience orders --account demo) 127.0.0.1:7101 list

      xsc db-bootstrap [--superuser-url URL] [--secrets-dir DIR] [--wait SECONDS] [SERVICE...]
          Creates each service's schema and its own login role (default: all six services),
          connected as a superuser (--superuser-url, else DATABASE_URL). Idempotent.
          A service's password comes from XSC_DB_PASSWORD_<SERVICE>, else DIR/<service>.db-password,
          else is generated (and saved there when --secrets-dir is given). With --secrets-dir the
          service's own connection string is written to DIR/<service>.database-url (mode 600);
          without it, `<service> <url>` lines are printed.

      xsc health [HOST:PORT ...] [--all [--host HOST]] [--service NAME] [--timeout SECONDS]
          gRPC health check (grpc.health.v1.Health/Check); default 127.0.0.1:7100. --all checks
          every service of the port table (7100-7105). Prints one line per address; exits 0 when
          every answer is SERVING, 1 otherwise.

      xsc seed-drill [--gateway HOST:PORT] [--admin-phone PHONE] [--admin-password-file FILE]
                     [--member-password PASSWORD] [--skip-orders]
          Seeds the drill's organisation (DOMAIN.md) through the gateway (default 127.0.0.1:7100)
          as the hq_admin (password from XSC_ADMIN_PASSWORD or FILE; phone default 13800000000):
          /hq/cq/cq-o1/cq-o1-d3/t7, a regional manager, customer service, office and district
          order leads, a dealer, a team admin, a salesperson, an intermediary (13900000001-8,
          password XSC_DRILL_PASSWORD or --member-password), a partner key for drill-mall and an
          SMS-provider key for drill-sms (each printed once, when made); then, through the
          gateway to orders, the drill SKU with its prices and the routing of district cq-o1-d3
          (--skip-orders: organisation and keys only). Idempotent.

      xsc outbox backlog|dead|replay [--database-url URL] [--event ID ...] [--all] [--limit N]
          One service's outbox, connected as that service (--database-url, else DATABASE_URL):
          backlog prints per route (destination, method) the rows waiting, the age of the oldest
          and the dead letters (also on /metrics: xsc_outbox_pending, _oldest_pending_age_seconds,
          _dead); dead lists dead letters with their last error; replay makes the named dead
          letters (--event, repeatable) or all of them (--all) due again.

      xsc --help
    """
}
