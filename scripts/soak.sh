#!/usr/bin/env bash
# make soak: the long versions of issue 16's abuse and fault suite, each printing its figures.
# `make test` runs the same tests short; this scales them up:
#   - HTTP/2 abuse and overload: XSC_ABUSE_SCALE (default 10: 20 s windows, 30 s overload)
#   - kill -9 and PostgreSQL crash: XSC_CRASH_ORDERS (default 10000 idempotent submissions each)
#   - fuzzing: Tests/Fuzz/run.sh for XSC_FUZZ_SECONDS per target (default 60) when present
#   - replicas of customers, proposals and settlements: XSC_REPLICAS_SOAK=1 (every replica killed once)
#   - phone numbers in every log of the run
# A throwaway PostgreSQL is started here (or DATABASE_URL is used) and stopped on exit. The
# figures are collected in var/soak/figures-<time>.txt (one line per row) as well as printed.
#
# Traffic stays on loopback and in network namespaces the tests make; every loop is bounded.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export XSC_ABUSE_SCALE="${XSC_ABUSE_SCALE:-10}"
export XSC_CRASH_ORDERS="${XSC_CRASH_ORDERS:-10000}"
export XSC_FUZZ_SECONDS="${XSC_FUZZ_SECONDS:-60}"

say() { printf '\n==> %s\n' "$*"; }

say "swift build (with tests)"
nice swift build --build-tests
XSC_BIN_DIR="$(swift build --show-bin-path)"
export XSC_BIN_DIR

pg_dir=""
cleanup() {
    if [ -n "$pg_dir" ]; then scripts/pg/stop-test-postgres.sh "$pg_dir" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
if [ -z "${DATABASE_URL:-}" ]; then
    eval "$(scripts/pg/start-test-postgres.sh)"
    pg_dir="${XSC_PG_DIR:-}"
    export DATABASE_URL
fi

mkdir -p var/soak
figures="var/soak/figures-$(date -u +%Y%m%dT%H%M%SZ).txt"
logs="$(mktemp -d "${TMPDIR:-/tmp}/xsc-soak-logs.XXXXXX")"
# Traversable: tests start PostgreSQL servers under TMPDIR, run by the unprivileged xscpg user as root.
chmod 0755 "$logs"
failed=()

say "abuse and fault suite (XSC_ABUSE_SCALE=$XSC_ABUSE_SCALE, XSC_CRASH_ORDERS=$XSC_CRASH_ORDERS)"
# -s: the figures are printed lines; tee keeps them.
env TMPDIR="$logs" python3 -m pytest -s -q -p no:cacheprovider \
    Tests/wire/test_abuse_h2.py Tests/wire/test_abuse_headers.py Tests/wire/test_abuse_backpressure.py \
    Tests/wire/test_abuse_actor.py Tests/wire/test_abuse_strings.py Tests/wire/test_overload.py \
    Tests/wire/test_faults_netns.py Tests/wire/test_crash_recovery.py Tests/wire/test_crash_recovery_newer.py Tests/wire/test_h2_conformance.py \
    Tests/wire/test_cross_team_sweep.py \
    2>&1 | tee "$logs/pytest.out" || failed+=("pytest")

say "replicas of customers, proposals and settlements: every replica killed once (XSC_REPLICAS_SOAK=1)"
env TMPDIR="$logs" XSC_REPLICAS_SOAK=1 python3 -m pytest -s -q -p no:cacheprovider Tests/wire/test_replicas_newer.py \
    2>&1 | tee "$logs/replicas.out" || failed+=("replicas")

if [ -x Tests/Fuzz/run.sh ]; then
    say "fuzzing (${XSC_FUZZ_SECONDS} s per target)"
    Tests/Fuzz/run.sh "$XSC_FUZZ_SECONDS" 2>&1 | tee -a "$logs/pytest.out" || failed+=("fuzz")
fi

say "phone numbers in the logs of the soak"
scripts/scan-phone-numbers.py "$logs" ${pg_dir:+"$pg_dir"} 2>&1 | tee -a "$logs/pytest.out" || failed+=("phone numbers")

grep -E "^(cross-team sweep|  lookup fields|rapid reset|control \(the same|outbox backlog|CONTINUATION flood|SETTINGS flood|PING flood|slowloris|HPACK bomb|overload|graceful shutdown|hostile strings|  (sql|invalid-utf8|nul|1mb|database errors)|forged/replayed|cut off from PostgreSQL|kill -9|PostgreSQL stop|h2 conformance|fuzz|phone numbers in logs|never-reading|Backpressure|backpressure)" \
    "$logs/pytest.out" > "$figures" || true
grep -E "^(replicas:|customers [0-9]+ |weeks closed|answered by|  killed)" "$logs/replicas.out" >> "$figures" || true
say "figures (also in $figures)"
cat "$figures"
if [ "${#failed[@]}" -ne 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "soak passed"
