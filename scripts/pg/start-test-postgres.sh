#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for tests and development.
#
#   eval "$(scripts/pg/start-test-postgres.sh [FOLDER])"
#
# FOLDER (created if missing, must be empty or absent; default: a new temp folder) receives
#   data/ (PGDATA), server.log and env (the same export lines as printed on stdout).
# Prints on stdout, for eval:  DATABASE_URL (superuser "postgres", password auth over TCP on
# 127.0.0.1, free port), PGDATA, XSC_PG_DIR (the folder; give it to stop-test-postgres.sh).
# As root, initdb/postgres run as an unprivileged system user (XSC_PG_USER, default xscpg,
# created if missing) that owns FOLDER. Installs nothing: needs apt package postgresql-15.
# Tuned for speed, not durability (fsync=off): never put data you want to keep in it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"
pg_require_binaries

dir="${1:-}"
if [ -z "$dir" ]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-pg.XXXXXX")"
else
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || pg_die "$dir is not empty"
fi
dir="$(cd "$dir" && pwd)"
user="$(pg_cluster_user)"
if [ "$(id -u)" -eq 0 ]; then
    chown "$user" "$dir"
    chmod 700 "$dir"
    runuser -u "$user" -- test -w "$dir" \
        || pg_die "$user cannot reach $dir (a parent folder is not traversable); choose another folder"
fi

password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" > "$dir/.pwfile"
[ "$(id -u)" -eq 0 ] && chown "$user" "$dir/.pwfile"
chmod 600 "$dir/.pwfile"

pg_as_owner "$dir" "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/.pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; pg_die "initdb failed"; }
rm -f "$dir/.pwfile"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $(( 20000 + RANDOM % 20000 ))
}

# The port is chosen before the server binds it, so another process may take it in between:
# try a few ports before giving up.
# Unix socket paths are limited to ~107 bytes; deep folders get TCP only.
socket_dir="$dir"; [ ${#dir} -le 90 ] || socket_dir=""
started=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    cat > "$dir/data/postgresql.auto.conf" <<CONF
# Written by start-test-postgres.sh: a fast, disposable test server.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir'
max_connections = 200
shared_buffers = '32MB'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = '30min'
max_wal_size = '1GB'
logging_collector = off
log_min_messages = warning
# No DETAIL lines: a unique violation's DETAIL quotes the key (a phone number) in the log.
log_error_verbosity = terse
TimeZone = 'UTC'
CONF
    if pg_as_owner "$dir" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null 2>&1; then
        started=yes
        break
    fi
    echo "pg: start on port $port failed (attempt $attempt), retrying" >&2
done
[ -n "$started" ] || { tail -n 20 "$dir/server.log" >&2 || true; pg_die "could not start PostgreSQL in $dir"; }

url="postgresql://postgres:$password@127.0.0.1:$port/postgres"
{
    echo "export DATABASE_URL='$url'"
    echo "export PGDATA='$dir/data'"
    echo "export XSC_PG_DIR='$dir'"
} > "$dir/env"
chmod 600 "$dir/env"
cat "$dir/env"
echo "pg: PostgreSQL 15 running on 127.0.0.1:$port, folder $dir (stop: scripts/pg/stop-test-postgres.sh $dir)" >&2
