#!/usr/bin/env bash
# `make down`: stops the services (SIGTERM: each drains and exits in order; SIGKILL after
# XSC_DOWN_TIMEOUT seconds, default 20), then the embedded PostgreSQL. Data and secrets stay in
# the state folder, so the next `make up` finds everything as it was; `scripts/down.sh --purge`
# also deletes them (the state folder, including the database).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/local-system.sh"

purge=no
case "${1:-}" in
    --purge) purge=yes ;;
    "") ;;
    *) die "usage: $0 [--purge]" ;;
esac

say "stopping services"
pids=()
for svc in "${XSC_SERVICES[@]}"; do
    pid="$(service_pid "$svc")"
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$svc:$pid")
    else
        note "$svc: not running"
    fi
done
limit="${XSC_DOWN_TIMEOUT:-20}"
deadline=$(( SECONDS + limit ))
for entry in "${pids[@]}"; do
    svc="${entry%%:*}"; pid="${entry#*:}"
    while kill -0 "$pid" 2>/dev/null && [ -n "$(service_pid "$svc")" ] && (( SECONDS < deadline )); do
        sleep 0.1
    done
    if [ -n "$(service_pid "$svc")" ]; then
        note "$svc: still running after ${limit}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    else
        note "$svc: stopped (pid $pid)"
    fi
    rm -f "$run_dir/$svc.pid"
done

if [ "$(cat "$run_dir/database" 2>/dev/null || true)" = external ]; then
    say "PostgreSQL: external (DATABASE_URL), left running"
elif pg_embedded_running; then
    say "stopping PostgreSQL"
    pg_as_owner "$pg_dir" "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w -t 60 stop >/dev/null
else
    say "PostgreSQL: not running"
fi

if [ "$purge" = yes ]; then
    say "purging $state_dir (and $pg_dir)"
    rm -rf "$pg_dir" "$state_dir"
fi
