#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) from the committed seeds
# (corpus/<target>/) plus what earlier runs found (var/fuzz/<target>/, not committed), with
# AddressSanitizer and leak detection. Prints per target: executions, crashes, leaks. Exit 1 when a
# target crashed or leaked (the reproducer is in var/fuzz/artifacts/). Builds first (build.sh).
#   Tests/Fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-60}"
./build.sh >/dev/null
bin="$(swift build -c debug --show-bin-path)"
work="../../var/fuzz"
mkdir -p "$work/artifacts"
# Self-check: a planted crash must be reported as one (exit non-zero), or no run proves anything.
printf 'PLANT' > "$work/planted-input"
if XSC_FUZZ_PLANT=1 "$bin/FuzzDeframer" "$work/planted-input" >"$work/planted.log" 2>&1; then
    echo "fuzz: self-check failed: the planted crash went unnoticed" >&2
    exit 2
fi
echo "fuzz: self-check passed (a planted crash was reported)"
status=0
for target in FuzzDeframer FuzzMessages FuzzHeaders FuzzAdminHTTP; do
    mkdir -p "$work/$target"
    log="$work/$target.log"
    set +e
    ASAN_OPTIONS=detect_leaks=1 "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix="$work/artifacts/$target-" "$work/$target" "corpus/$target" >"$log" 2>&1
    code=$?
    set -e
    runs="$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)"
    crashes=0; leaks=0
    grep -q "ERROR: LeakSanitizer" "$log" && leaks=1
    if [ "$code" -ne 0 ] && [ "$leaks" -eq 0 ]; then crashes=1; fi
    echo "fuzz $target: ${runs:-0} executions in $seconds s, $crashes crashes, $leaks leaks (log $log)"
    [ "$code" -eq 0 ] || status=1
done
exit $status
