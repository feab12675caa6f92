#!/usr/bin/env bash
# Runs every test of the repository: the Swift tests and the Python wire tests, against a
# throwaway PostgreSQL started here and stopped on exit (also on failure or Ctrl-C).
# `make test` and CI (.ci/run) call this. Exits non-zero when any step fails.
#
# Environment:
#   XSC_SKIP_DEPS=1     do not run scripts/install-deps.sh
#   XSC_PYTEST_ARGS     extra arguments for pytest (e.g. "-k interop -x")
#   SWIFT_BUILD_FLAGS   extra arguments for swift build/test (e.g. "-j 2")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

say() { printf '\n==> %s\n' "$*"; }

# Everything started below is recorded here so the trap can stop exactly those processes.
pg_dir=""
export XSC_PID_DIR
XSC_PID_DIR="$(mktemp -d "${TMPDIR:-/tmp}/xsc-test-pids.XXXXXX")"
cleanup() {
    local status=$?
    if [ -n "$pg_dir" ]; then
        say "stopping test PostgreSQL"
        scripts/pg/stop-test-postgres.sh "$pg_dir" || true
    fi
    # Servers started by pytest are stopped by its fixtures; pids of any that outlived a crashed
    # pytest are left in $XSC_PID_DIR (one file per process), and only those are killed here.
    local pid_file
    for pid_file in "$XSC_PID_DIR"/*.pid; do
        [ -f "$pid_file" ] || continue
        kill "$(cat "$pid_file")" 2>/dev/null || true
    done
    rm -rf "$XSC_PID_DIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${XSC_SKIP_DEPS:-0}" != "1" ]; then
    say "dependencies"
    scripts/install-deps.sh
fi

# shellcheck disable=SC2086
{
    say "swift build (with tests)"
    swift build --build-tests ${SWIFT_BUILD_FLAGS:-}
}
bin_dir="$(swift build --show-bin-path ${SWIFT_BUILD_FLAGS:-})"
export XSC_BIN_DIR="$bin_dir"

if [ -x scripts/pg/start-test-postgres.sh ]; then
    say "starting throwaway PostgreSQL"
    # Assigned first so a failing start stops the run (eval of an empty string would succeed).
    pg_env="$(scripts/pg/start-test-postgres.sh)"
    eval "$pg_env"
    pg_dir="${XSC_PG_DIR:-}"
    export DATABASE_URL
    echo "DATABASE_URL set (cluster in $pg_dir)"
else
    say "scripts/pg/start-test-postgres.sh not present: running without PostgreSQL (tests that need it skip or fail on their own)"
fi

failed=()

say "generated code is up to date (scripts/check-generated.sh)"
scripts/check-generated.sh || failed+=("generated code is stale: run scripts/generate.sh")

say "swift test"
# shellcheck disable=SC2086
swift test --skip-build ${SWIFT_BUILD_FLAGS:-} || failed+=("swift test")

say "pytest Tests/wire"
# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
# shellcheck disable=SC2086
python3 -m pytest Tests/wire -ra ${XSC_PYTEST_ARGS:-} || failed+=("pytest Tests/wire (exit $?)")

say "leak check of the protobuf-c conversions (valgrind)"
scripts/leak-check.sh || failed+=("leak check")

if [ "${#failed[@]}" -ne 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all tests passed"
