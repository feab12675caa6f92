#!/usr/bin/env bash
# The partner JSON API's transports at the edge, measured (issue 19; a measurement, not a test):
# one release xsc-gateway on a fresh database (DATABASE_URL: a superuser URL), GET /openapi.json
# by h2load over plain HTTP/1.1, HTTP/1.1 over TLS and HTTP/2 over TLS in alternating rounds,
# keep-alive throughput and one-request connections, with the gateway's CPU time for each.
#
#   bench/edge-http1.sh [--skip-build] [--rounds N] [--requests N] [--connections N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --rounds|--requests|--connections) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,7p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
: "${DATABASE_URL:?needs DATABASE_URL (a superuser URL), e.g. from scripts/pg/start-test-postgres.sh}"
cd "$root"
if [ -z "$skip_build" ]; then
    nice -n 10 swift build -c release --product xsc-gateway >&2
    nice -n 10 swift build -c release --product xsc >&2
fi
XSC_BIN_DIR="$(swift build -c release --show-bin-path)" exec python3 bench/tools/edge_http1_bench.py "${pass[@]}"
