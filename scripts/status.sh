#!/usr/bin/env bash
# `make status`: each service's process, gRPC health and admin /readyz, and PostgreSQL.
# Exits 0 when every service is running and SERVING, 1 otherwise.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/local-system.sh"

all_up=yes
printf '%-15s %-8s %-22s %-14s %s\n' service pid gRPC health readyz
for svc in "${XSC_SERVICES[@]}"; do
    pid="$(service_pid "$svc")"
    address="$client_host:$(rpc_port "$svc")"
    if [ -z "$pid" ]; then
        printf '%-15s %-8s %-22s %-14s %s\n' "$svc" - "$address" "not running" -
        all_up=no
        continue
    fi
    health="$("$bin_dir/xsc" health "$address" --timeout 2 2>&1 | awk '{print $2}' || true)"
    ready="$(admin_status "$(admin_port "$svc")" /readyz)"
    printf '%-15s %-8s %-22s %-14s %s\n' "$svc" "$pid" "$address" "${health:-?}" "$ready (:$(admin_port "$svc"))"
    [ "$health" = SERVING ] || all_up=no
done

case "$(cat "$run_dir/database" 2>/dev/null || echo none)" in
    external) echo "PostgreSQL: external (DATABASE_URL)" ;;
    embedded)
        if pg_embedded_running; then echo "PostgreSQL: running (port $(pg_embedded_port), $pg_dir)"
        else echo "PostgreSQL: stopped ($pg_dir)"; all_up=no; fi ;;
    *) echo "PostgreSQL: never started here (run make up)"; all_up=no ;;
esac
[ "$all_up" = yes ]
