#!/usr/bin/env bash
# Where a bench server's time goes, under the same h2load load as the benchmark.
#   profile.sh NAME PORT BINARY OUT_DIR [--callgrind]
# 1. perf stat (software counters: task-clock, context switches, migrations, page faults) over
#    one throughput run; hardware counters are not available on every VM, so none are asked for.
# 2. perf record -e cpu-clock over a second run: self time by shared object and by symbol.
# 3. with --callgrind: valgrind --tool=callgrind over a short load (instruction counts; they
#    repeat whatever else the machine is doing) and callgrind_annotate's top functions.
set -euo pipefail
name=$1 port=$2 binary=$3 out=$4 callgrind=${5:-}
bench_dir=$(cd "$(dirname "$0")/.." && pwd)
url="http://127.0.0.1:$port/bench.v1.Bench/Echo"
load() {  # load REQUESTS CLIENTS STREAMS
    taskset -c 1 h2load -n "$1" -c "$2" -m "$3" -t 1 -d "$bench_dir/echo-request.bin" \
        -H 'content-type: application/grpc' -H 'te: trailers' "$url" | grep -E 'finished in|requests:|status codes:'
}
wait_port() {
    for _ in $(seq 1 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        kill -0 "$1" 2>/dev/null || { echo "$name exited before listening"; return 1; }
        sleep 0.1
    done
    echo "$name not listening on $port"; return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
mkdir -p "$out"

echo "== $name: perf stat over 200000 calls (-c 8 -m 32)"
taskset -c 0 "$binary" --port "$port" >"$out/server.log" 2>&1 &
pid=$!
wait_port "$pid"
load 5000 8 32 >/dev/null
perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$pid" -o "$out/perf-stat.txt" &
stat_pid=$!
sleep 0.2
load 200000 8 32
kill -INT "$stat_pid"; wait "$stat_pid" 2>/dev/null || true
cat "$out/perf-stat.txt"
awk '/task-clock/ { gsub(",", "", $1); printf "per call: %.1f µs CPU", $1 * 1000 / 200000 }
     /context-switches/ { gsub(",", "", $1); printf ", %.2f context switches\n", $1 / 200000 }' "$out/perf-stat.txt"

echo "== $name: perf record -e cpu-clock over 200000 calls"
perf record -q -e cpu-clock -g -p "$pid" -o "$out/perf.data" 2>"$out/perf-record.log" &
record_pid=$!
sleep 0.2
load 200000 8 32
kill -INT "$record_pid"; wait "$record_pid" 2>/dev/null || true
stop "$pid"
report() {  # report SORT_KEYS LINES: self time, no call graphs, Swift names demangled
    perf report -i "$out/perf.data" --no-children --sort "$1" --stdio -g none 2>/dev/null \
        | grep -v -e '^#' -e '^$' | head -n "$2" | demangle | cut -c1-220 || true
}
demangle() { if swift demangle --help >/dev/null 2>&1; then swift demangle --simplified; else cat; fi; }
echo "-- self time by shared object"
report dso 15 | tee "$out/by-dso.txt"
echo "-- top symbols (self time)"
report dso,sym 40 | tee "$out/by-symbol.txt"

if [ "$callgrind" = "--callgrind" ]; then
    echo "== $name: callgrind over 20000 calls (-c 8 -m 32; slow)"
    # valgrind 3.19 (Debian 12) cannot read the DWARF 5 that Swift's clang emits: run a copy
    # without debug info (the symbol table stays, so functions are still named).
    objcopy --strip-debug "$binary" "$out/server-nodebug"
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
        "$out/server-nodebug" --port "$port" >"$out/callgrind-server.log" 2>&1 &
    pid=$!
    if wait_port "$pid"; then
        load 20000 8 32
        stop "$pid"
        { callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null | head -60 | demangle || true; } \
            | tee "$out/callgrind-inclusive.txt"
        { callgrind_annotate "$out/callgrind.out" 2>/dev/null | head -80 | demangle || true; } >"$out/callgrind-self.txt"
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.0f instructions per call (startup included)\n", $1 / 20000 }' \
            "$out/callgrind-inclusive.txt"
        echo "(self-cost listing: $out/callgrind-self.txt)"
    else
        grep -m 3 -e 'INTERNAL ERROR' -e 'impossible' -e "can't recover" "$out/callgrind-server.log" || true
        echo "callgrind could not run $name: valgrind 3.19 crashes inside itself on some Swift"
        echo "binaries (grpc-swift-2's server, any program using the global concurrent executor);"
        echo "see $out/callgrind-server.log. The perf figures above stand."
    fi
    rm -f "$out/server-nodebug"
fi
echo "profile written to $out"
