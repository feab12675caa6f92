#!/usr/bin/env bash
# Runs pg_ctl on a cluster made by start-test-postgres.sh, as the cluster's owner; for tests
# that stop and restart the server under a live pool.
#   scripts/pg/ctl-test-postgres.sh FOLDER stop-immediate|start|restart|status
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"
dir="$(pg_cluster_dir "${1:-}")"
ctl() { pg_as_owner "$dir" "$PG_BIN/pg_ctl" -D "$dir/data" "$@"; }
case "${2:-}" in
    stop-immediate) ctl -m immediate -w -t 30 stop ;;
    start)          ctl -l "$dir/server.log" -w -t 30 start ;;
    restart)        ctl -l "$dir/server.log" -m fast -w -t 30 restart ;;
    status)         ctl status ;;
    *) pg_die "usage: $0 FOLDER stop-immediate|start|restart|status" ;;
esac
