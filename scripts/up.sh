#!/usr/bin/env bash
# `make up`: the whole system on this machine. Installs missing packages, builds (debug by
# default: it is the build `make test` already made, and a cold debug build takes a fraction of
# a release build's time on 2 cores; XSC_BUILD_CONFIG=release for the fast binaries), creates
# and starts an embedded PostgreSQL in var/pg unless DATABASE_URL names one, creates each
# service's schema and role, starts the gateway and the six services in the background and
# waits until every one answers its gRPC health check. Running it again starts only what is not
# running. Settings: see scripts/local-system.sh.
#
# Other settings: XSC_SKIP_DEPS=1 (no install-deps.sh), XSC_SKIP_BUILD=1 (use the binaries as
# they are), XSC_UP_TIMEOUT (seconds to wait for health, default 120), LOG_LEVEL.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/local-system.sh"
cd "$repo"
started_at=$SECONDS

# --- packages and build ------------------------------------------------------------------------
if [ "${XSC_SKIP_DEPS:-0}" != "1" ]; then
    say "packages (scripts/install-deps.sh)"
    scripts/install-deps.sh
fi

# A stamp written after each successful build: no source newer than it and every binary
# present means there is nothing to build (and saves SwiftPM's few seconds of planning).
build_stamp="$run_dir/build-$build_config.stamp"
binaries_are_current() {
    local svc
    for svc in "${XSC_SERVICES[@]}"; do [ -x "$(binary_of "$svc")" ] || return 1; done
    [ -x "$bin_dir/xsc" ] && [ -f "$build_stamp" ] \
        && [ -z "$(find Sources Package.swift services -newer "$build_stamp" -print -quit)" ]
}
mkdir -p "$run_dir"
if [ "${XSC_SKIP_BUILD:-0}" = "1" ]; then
    say "build skipped (XSC_SKIP_BUILD=1): binaries in $bin_dir"
elif binaries_are_current; then
    say "build: binaries in $bin_dir are up to date"
else
    command -v swift >/dev/null 2>&1 || die "swift not found: install Swift 6.x (https://www.swift.org/install/linux/)"
    say "build (swift build -c $build_config)"
    stamp_candidate="$(mktemp "$run_dir/build-stamp.XXXXXX")"   # sources edited during the build stay newer
    nice swift build -c "$build_config" || { rm -f "$stamp_candidate"; die "swift build failed"; }
    mv "$stamp_candidate" "$build_stamp"
fi
for svc in "${XSC_SERVICES[@]}"; do [ -x "$(binary_of "$svc")" ] || die "missing $(binary_of "$svc")"; done
xsc="$bin_dir/xsc"

mkdir -p "$log_dir" "$secrets_dir"
chmod 700 "$secrets_dir"

# --- the shared actor secret -------------------------------------------------------------------
if [ -n "${XSC_ACTOR_SECRET:-}" ]; then
    actor_secret="$XSC_ACTOR_SECRET"
    secret_hint='XSC_ACTOR_SECRET=...(yours)'
else
    secret_hint="XSC_ACTOR_SECRET=\"\$(cat $secrets_dir/actor-secret)\""
    if [ ! -s "$secrets_dir/actor-secret" ]; then
        (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$secrets_dir/actor-secret")
    fi
    actor_secret="$(cat "$secrets_dir/actor-secret")"
fi

# --- the first hq_admin (the gateway creates it on its first start with this password) ----------
admin_password_new=0
if [ -n "${XSC_ADMIN_PASSWORD:-}" ]; then
    admin_password="$XSC_ADMIN_PASSWORD"
else
    if [ ! -s "$secrets_dir/hq-admin-password" ]; then
        (umask 077; od -An -N12 -tx1 /dev/urandom | tr -d ' \n' > "$secrets_dir/hq-admin-password")
        admin_password_new=1
    fi
    admin_password="$(cat "$secrets_dir/hq-admin-password")"
fi

# --- PostgreSQL --------------------------------------------------------------------------------
create_embedded_cluster() {
    pg_require_binaries
    local port="${XSC_PG_PORT:-55432}" user password
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        die "port $port is taken: set XSC_PG_PORT to a free port for the embedded PostgreSQL"
    fi
    user="$(pg_cluster_user)"
    if [ "$(id -u)" -eq 0 ] && [ -z "${XSC_PG_DIR:-}" ] && ! runuser -u "$user" -- test -x "$state_dir"; then
        # A parent of the state folder is closed to $user (typically /root): keep the cluster
        # in a folder of its own under /var/lib/xsc, one per state folder.
        pg_dir="/var/lib/xsc/pg-$(printf '%s' "$state_dir" | md5sum | cut -c1-12)"
        mkdir -p /var/lib/xsc
        chmod 755 /var/lib/xsc
        echo "$pg_dir" > "$state_dir/pg-location"
        note "$user cannot reach $state_dir: the cluster goes to $pg_dir"
    fi
    mkdir -p "$pg_dir"
    pg_dir="$(cd "$pg_dir" && pwd)"
    [ -z "$(ls -A "$pg_dir")" ] || die "$pg_dir is not empty and holds no cluster: move it away or set XSC_PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$user" "$pg_dir"
        chmod 700 "$pg_dir"
        runuser -u "$user" -- test -w "$pg_dir" \
            || die "the PostgreSQL user $user cannot reach $pg_dir (a parent folder is not traversable, e.g. /root): set XSC_PG_DIR to a folder under /var/lib or /srv"
    fi
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    (umask 077; printf '%s\n' "$password" > "$pg_dir/.pwfile")
    [ "$(id -u)" -eq 0 ] && chown "$user" "$pg_dir/.pwfile"
    say "creating the embedded PostgreSQL cluster in $pg_dir (port $port, owner $user)"
    pg_as_owner "$pg_dir" "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --pwfile="$pg_dir/.pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
    rm -f "$pg_dir/.pwfile"
    # TCP on loopback only; no Unix socket, so the cluster works from any folder depth.
    pg_as_owner "$pg_dir" tee "$pg_dir/data/postgresql.auto.conf" >/dev/null <<CONF
# Written by scripts/up.sh: the local development server of \`make up\`.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
shared_buffers = '64MB'
logging_collector = off
log_min_messages = warning
# No DETAIL lines: a unique violation's DETAIL quotes the key (a phone number) in the log.
log_error_verbosity = terse
TimeZone = 'UTC'
CONF
    (umask 077; printf 'postgresql://postgres:%s@127.0.0.1:%s/xsc\n' "$password" "$port" > "$secrets_dir/pg-superuser.url")
    start_embedded_cluster
    say "creating database xsc"
    PGPASSWORD="$password" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c 'CREATE DATABASE xsc' >/dev/null
}

start_embedded_cluster() {
    say "starting PostgreSQL (port $(pg_embedded_port))"
    pg_as_owner "$pg_dir" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start >/dev/null \
        || { tail -n 20 "$pg_dir/server.log" >&2 || true; die "PostgreSQL did not start (log: $pg_dir/server.log)"; }
}

if [ -n "${DATABASE_URL:-}" ]; then
    say "PostgreSQL: using DATABASE_URL (no embedded cluster)"
    echo external > "$run_dir/database"
    superuser_url="$DATABASE_URL"
else
    echo embedded > "$run_dir/database"
    if ! pg_embedded_exists; then
        create_embedded_cluster
    elif pg_embedded_running; then
        say "PostgreSQL: already running (port $(pg_embedded_port), $pg_dir)"
    else
        start_embedded_cluster
    fi
    [ -s "$secrets_dir/pg-superuser.url" ] || die "$secrets_dir/pg-superuser.url is missing: the cluster in $pg_dir was not made by this state folder"
    superuser_url="$(cat "$secrets_dir/pg-superuser.url")"
fi

# --- schemas and roles -------------------------------------------------------------------------
say "schemas and roles (xsc db-bootstrap)"
DATABASE_URL="$superuser_url" "$xsc" db-bootstrap --secrets-dir "$secrets_dir" | sed 's/^/    /'

# --- services ----------------------------------------------------------------------------------
peer_environment=()
for svc in "${XSC_SERVICES[@]}"; do
    peer_environment+=("XSC_$(echo "$svc" | tr '[:lower:]' '[:upper:]')_ADDR=$client_host:$(rpc_port "$svc")")
done

started=()
for svc in "${XSC_SERVICES[@]}"; do
    pid="$(service_pid "$svc")"
    if [ -n "$pid" ] && [ "$(binary_of "$svc")" -nt "$run_dir/$svc.pid" ]; then
        # Rebuilt since it started: replace it, so `make up` after an edit runs the new code.
        note "$svc: rebuilt since it started: restarting (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 200); do [ -n "$(service_pid "$svc")" ] || break; sleep 0.1; done
        [ -z "$(service_pid "$svc")" ] || { kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; }
        pid=""
    fi
    if [ -n "$pid" ]; then
        note "$svc: already running (pid $pid)"
        continue
    fi
    # Each process gets its own role's URL through its environment (never on the command line,
    # where `ps` would show the password).
    # Only the gateway gets the admin password (it uses it on an empty schema only) and the
    # partner HTTP/1.1 listener's address (on the same interface as everything else).
    own_environment=()
    [ "$svc" = gateway ] && own_environment=("XSC_ADMIN_PASSWORD=$admin_password" "XSC_HTTP_LISTEN=$bind_host:${XSC_HTTP_PORT:-7180}")
    # The development SMS provider's file lives with the rest of the state (make drill reads it).
    [ "$svc" = notifications ] && own_environment=("XSC_SMS_DEV_FILE=${XSC_SMS_DEV_FILE:-$state_dir/sms-dev.jsonl}")
    env "${peer_environment[@]}" "${own_environment[@]}" \
        DATABASE_URL="$(cat "$secrets_dir/$svc.database-url")" \
        XSC_ACTOR_SECRET="$actor_secret" \
        XSC_LISTEN="$bind_host:$(rpc_port "$svc")" \
        XSC_ADMIN_LISTEN="$bind_host:$(admin_port "$svc")" \
        XSC_MIGRATIONS_DIR="$repo/services/$svc/migrations" \
        LOG_LEVEL="${LOG_LEVEL:-info}" \
        setsid "$(binary_of "$svc")" >>"$log_dir/$svc.log" 2>&1 </dev/null &
    echo "$!" > "$run_dir/$svc.pid"
    started+=("$svc")
    note "$svc: started (pid $!, log $log_dir/$svc.log)"
done

# --- wait until healthy ------------------------------------------------------------------------
limit="${XSC_UP_TIMEOUT:-120}"
wait_started_at=$SECONDS
say "waiting for every service to answer SERVING (up to ${limit}s)"
# shellcheck disable=SC2046
until "$xsc" health $(health_targets) --timeout 2 >"$run_dir/health.txt" 2>&1; do
    for svc in "${XSC_SERVICES[@]}"; do
        if [ -z "$(service_pid "$svc")" ]; then
            echo "--- last lines of $log_dir/$svc.log ---" >&2
            tail -n 20 "$log_dir/$svc.log" >&2 || true
            die "$svc exited during start-up (see above; \`make down\` stops the rest)"
        fi
    done
    if (( SECONDS - wait_started_at > limit )); then
        cat "$run_dir/health.txt" >&2
        die "not every service became healthy within ${limit}s (logs: $log_dir)"
    fi
    sleep 0.5
done
sed 's/^/    /' "$run_dir/health.txt"

if [ "${#started[@]}" -eq 0 ]; then
    say "already up: nothing to start"
else
    say "up in $(( SECONDS - started_at ))s"
fi

cat <<TXT

  service         gRPC                      admin (/healthz /readyz /metrics)
$(for svc in "${XSC_SERVICES[@]}"; do printf '  %-15s %-25s http://%s:%s\n' "$svc" "$client_host:$(rpc_port "$svc")" "$client_host" "$(admin_port "$svc")"; done)

  PostgreSQL: $(cat "$run_dir/database")$( [ "$(cat "$run_dir/database")" = embedded ] && echo " in $pg_dir, port $(pg_embedded_port)")
  logs: $log_dir/<service>.log   secrets: $secrets_dir

First calls:
  $xsc health $(health_targets)
  grpcurl -plaintext $client_host:$(rpc_port gateway) list
  python3 -c 'import grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; print(g.HealthStub(grpc.insecure_channel("$client_host:$(rpc_port orders)")).Check(h.HealthCheckRequest()))'
  $secret_hint $xsc mint-actor --audience orders --account demo --role staff

Staff pages (the board, the order lead's, salesperson's, intermediary's, manager's pages; Chinese):
  http://$client_host:${XSC_HTTP_PORT:-7180}/   log in with a phone and password (make drill seeds people)

make drill                 the drill's order, submission to return visit, through the gateway (scripts/drill.py)
make status | make logs | make down
TXT
if [ "$admin_password_new" = 1 ]; then
    cat <<TXT

First run: hq_admin phone ${XSC_ADMIN_PHONE:-13800000000}, password $admin_password
  (shown once here; kept in $secrets_dir/hq-admin-password, mode 600). The drill's organisation:
  XSC_ADMIN_PASSWORD="\$(cat $secrets_dir/hq-admin-password)" $xsc seed-drill
  (make drill runs seed-drill itself, then walks one order through the drill)
TXT
fi
