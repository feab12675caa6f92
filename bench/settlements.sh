#!/usr/bin/env bash
# The settlements close benchmark (bench/settlements_close.py explains it). Builds release
# binaries, then runs it. Extra arguments go to the script (--lines, --payees).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
: "${DATABASE_URL:?set DATABASE_URL to a superuser URL (eval \"\$(scripts/pg/start-test-postgres.sh)\")}"
nice swift build -c release --product xsc-settlements >&2
nice swift build -c release --product xsc >&2
XSC_BIN_DIR="$(swift build -c release --show-bin-path)" exec python3 bench/settlements_close.py "$@"
