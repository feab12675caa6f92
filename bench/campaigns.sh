#!/usr/bin/env bash
# The campaigns benchmark (bench/campaigns.py explains it; a measurement, not a test). Builds
# release binaries, then runs it. Extra arguments go to the script (--participants, --rush-seconds,
# --rush-threads).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
: "${DATABASE_URL:?set DATABASE_URL to a superuser URL (eval \"\$(scripts/pg/start-test-postgres.sh)\")}"
if [ -z "${XSC_BIN_DIR:-}" ]; then
    for product in xsc-gateway xsc-orders xsc-notifications xsc-campaigns xsc; do nice swift build -c release --product "$product" >&2; done
    export XSC_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
exec python3 bench/campaigns.py "$@"
