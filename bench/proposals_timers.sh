#!/usr/bin/env bash
# The proposals timer benchmark (issue 12; a measurement, not a test): see proposals_timers.py.
#   bench/proposals_timers.sh [--skip-build] [--count N] [--lead S] [--replicas 1,2]
# Release binaries (XSC_BIN_DIR=DIR uses those); a throwaway PostgreSQL of its own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --count|--lead|--replicas) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,4p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
if [ -z "${XSC_BIN_DIR:-}" ]; then
    if [ -z "$skip_build" ]; then
        for product in xsc-proposals xsc xsc-orders-bench; do nice -n 10 swift build -c release --product "$product" >&2; done
    fi
    export XSC_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/xsc-proposals-bench-pg.XXXXXX")"
rmdir "$pg_dir"
eval "$(scripts/pg/start-test-postgres.sh "$pg_dir")"
trap 'scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true' EXIT
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start" >&2
python3 bench/proposals_timers.py --superuser-url "$DATABASE_URL" "${pass[@]}"
