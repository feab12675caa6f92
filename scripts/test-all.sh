#!/usr/bin/env bash
# Runs every test of the repository: the Swift tests and the Python wire tests, against a
# throwaway PostgreSQL started here and stopped on exit (also on failure or Ctrl-C).
# `make test` and CI (.ci/run) call this. Exits non-zero when any step fails.
#
# Environment:
#   XSC_SKIP_DEPS=1     do not run scripts/install-deps.sh
#   XSC_PYTEST_ARGS     extra arguments for pytest (e.g. "-k interop -x")
#   XSC_PYTEST_WORKERS  wire-test workers (pytest-xdist; default 3, 1 = one process)
#   SWIFT_BUILD_FLAGS   extra arguments for swift build/test (e.g. "-j 2")
#   XSC_TEST_PG_PARENT  folder for the throwaway PostgreSQL (default: /dev/shm when roomy, see pg_parent)
#
# Each stage prints its wall time when it ends, and a table of all of them closes the run (also
# after a failure), so a slow stage is visible without rerunning anything under `time`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

say() { printf '\n==> %s\n' "$*"; }

# Stage timing: names, milliseconds and exit statuses, in run order, for the closing table.
stage_names=()
stage_ms=()
stage_status=()
run_started_ms="$(date +%s%3N)"
seconds() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# stage NAME COMMAND...: runs COMMAND (a function runs in this shell, so it can export), prints
# its wall time, records it, and returns its status for the caller to act on.
stage() {
    local name="$1" start status=0 elapsed
    shift
    say "$name"
    start="$(date +%s%3N)"
    "$@" || status=$?
    elapsed=$(($(date +%s%3N) - start))
    stage_names+=("$name")
    stage_ms+=("$elapsed")
    stage_status+=("$status")
    printf -- '--- %s: %s (exit %d)\n' "$name" "$(seconds "$elapsed")" "$status"
    return "$status"
}

print_stage_table() {
    [ "${#stage_names[@]}" -ne 0 ] || return 0
    printf '\n==> stage times (wall clock)\n'
    printf '  %-28s %10s  %s\n' "stage" "time" "result"
    local i result
    for i in "${!stage_names[@]}"; do
        result="ok"
        [ "${stage_status[$i]}" -eq 0 ] || result="exit ${stage_status[$i]}"
        printf '  %-28s %10s  %s\n' "${stage_names[$i]}" "$(seconds "${stage_ms[$i]}")" "$result"
    done
    printf '  %-28s %10s\n' "total" "$(seconds $(($(date +%s%3N) - run_started_ms)))"
}

# Everything started below is recorded here so the trap can stop exactly those processes.
pg_dir=""
export XSC_PID_DIR
XSC_PID_DIR="$(mktemp -d "${TMPDIR:-/tmp}/xsc-test-pids.XXXXXX")"
cleanup() {
    local status=$?
    if [ -n "$pg_dir" ]; then
        # Timed too: removing the cluster's folder (a database per test) is not free.
        stage "stop PostgreSQL" scripts/pg/stop-test-postgres.sh "$pg_dir" || true
    fi
    # Servers started by pytest are stopped by its fixtures; pids of any that outlived a crashed
    # pytest are left in $XSC_PID_DIR (one file per process), and only those are killed here.
    local pid_file
    for pid_file in "$XSC_PID_DIR"/*.pid; do
        [ -f "$pid_file" ] || continue
        kill "$(cat "$pid_file")" 2>/dev/null || true
    done
    rm -rf "$XSC_PID_DIR"
    print_stage_table
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${XSC_SKIP_DEPS:-0}" != "1" ]; then
    stage "dependencies" scripts/install-deps.sh
fi

# shellcheck disable=SC2086
stage "swift build (with tests)" swift build --build-tests ${SWIFT_BUILD_FLAGS:-}
# shellcheck disable=SC2086
bin_dir="$(swift build --show-bin-path ${SWIFT_BUILD_FLAGS:-})"
export XSC_BIN_DIR="$bin_dir"

# Where the throwaway cluster lives. A run makes a database per test (~8 MB each, GBs in all), and
# deleting them from this machine's shared disk took longer than all the Swift tests (58-140 s);
# in memory (/dev/shm) it takes well under a second, CREATE DATABASE is faster too, and the
# disk is spared. Only when there is clearly room; XSC_TEST_PG_PARENT=DIR chooses the parent.
pg_parent() {
    if [ -n "${XSC_TEST_PG_PARENT:-}" ]; then
        echo "$XSC_TEST_PG_PARENT"
        return
    fi
    local shm_free_kb available_kb
    shm_free_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')"
    available_kb="$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2>/dev/null)"
    if [ -w /dev/shm ] && [ "${shm_free_kb:-0}" -ge $((6 * 1024 * 1024)) ] \
        && [ "${available_kb:-0}" -ge $((8 * 1024 * 1024)) ]; then
        echo /dev/shm
    else
        echo "${TMPDIR:-/tmp}"
    fi
}

start_postgres() {
    # Explicit returns: `stage` runs this inside `||`, where set -e does not apply. Assigned
    # first so a failing start stops the run (eval of an empty string would succeed).
    local pg_env folder
    folder="$(mktemp -d "$(pg_parent)/xsc-pg.XXXXXX")" || return
    pg_env="$(scripts/pg/start-test-postgres.sh "$folder")" || { rmdir "$folder"; return 1; }
    eval "$pg_env"
    pg_dir="${XSC_PG_DIR:-}"
    export DATABASE_URL
    echo "DATABASE_URL set (cluster in $pg_dir)"
}

if [ -x scripts/pg/start-test-postgres.sh ]; then
    stage "start PostgreSQL" start_postgres
else
    say "scripts/pg/start-test-postgres.sh not present: running without PostgreSQL (tests that need it skip or fail on their own)"
fi

failed=()

stage "generated code check" scripts/check-generated.sh || failed+=("generated code is stale: run scripts/generate.sh")

# shellcheck disable=SC2086
stage "swift test" swift test --skip-build ${SWIFT_BUILD_FLAGS:-} || failed+=("swift test")

# pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
# --durations: the slowest set-ups and tests, to see where this stage's time goes.
# Modules run on XSC_PYTEST_WORKERS workers (pytest-xdist, whole modules per worker, each worker
# with a PostgreSQL of its own: Tests/wire/conftest.py). Most of a wire test's time is waiting for
# processes and deadlines, not CPU, so workers overlap well even on 2 cores. 1 runs them in one process.
workers="${XSC_PYTEST_WORKERS:-3}"
parallel=()
if [ "$workers" -gt 1 ] && python3 -c 'import xdist' 2>/dev/null; then
    parallel=(-n "$workers" --dist loadfile)
fi
# The services' logs of the run go to their own folder (wire_support keeps one file per process
# there), so the phone-number scan below reads exactly this run's logs.
run_logs="$(mktemp -d "${TMPDIR:-/tmp}/xsc-test-logs.XXXXXX")"
# Traversable: tests start PostgreSQL servers under TMPDIR, run by the unprivileged xscpg user as root.
chmod 0755 "$run_logs"
# shellcheck disable=SC2086
stage "pytest Tests/wire" env TMPDIR="$run_logs" python3 -m pytest Tests/wire -ra --durations=15 "${parallel[@]}" ${XSC_PYTEST_ARGS:-} \
    || failed+=("pytest Tests/wire (exit $?)")

# Issue 16: every log of the run (services and this run's PostgreSQL) with 0 unmasked numbers.
stage "phone numbers in logs" scripts/scan-phone-numbers.py "$run_logs" ${pg_dir:+"$pg_dir"} \
    || failed+=("unmasked phone numbers in logs")

stage "leak check (valgrind)" scripts/leak-check.sh || failed+=("leak check")

if [ "${#failed[@]}" -ne 0 ]; then
    say "FAILED: ${failed[*]}"
    exit 1
fi
say "all tests passed"
