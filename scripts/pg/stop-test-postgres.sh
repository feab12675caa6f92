#!/usr/bin/env bash
# Stops a cluster made by start-test-postgres.sh and removes its folder.
#   scripts/pg/stop-test-postgres.sh [FOLDER]     (default: $XSC_PG_DIR)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/common.sh"
dir="$(pg_cluster_dir "${1:-}")"
if [ -f "$dir/data/postmaster.pid" ]; then
    pg_as_owner "$dir" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
        || echo "pg: pg_ctl stop failed in $dir (already stopped?)" >&2
fi
rm -rf "$dir"
