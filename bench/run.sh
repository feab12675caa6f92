#!/usr/bin/env bash
# The RPC benchmark (issue 2): xsc-bench-server beside a grpc-swift-2 server, each pinned to
# CPU 0, h2load pinned to CPU 1, as ../shared/bench/README.md describes. See bench/README.md.
#
#   bench/run.sh [--rounds N] [--only xsc|grpc-swift-2] [--quick] [--skip-build]
#                [--port-base N] [--note TEXT] [--profile [--callgrind]]
set -euo pipefail
bench_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench_dir")
results="$bench_dir/results"

rounds=3 only="" quick="" skip_build="" port_base=7298 note="" profile="" callgrind=""
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) rounds=$2; shift ;;
        --only) only=$2; shift ;;
        --quick) quick=1 ;;
        --skip-build) skip_build=1 ;;
        --port-base) port_base=$2; shift ;;
        --note) note=$2; shift ;;
        --profile) profile=1 ;;
        --callgrind) callgrind=--callgrind ;;
        -h|--help) sed -n 2,7p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case $only in ""|xsc|grpc-swift-2) ;; *) echo "--only takes xsc or grpc-swift-2" >&2; exit 2 ;; esac

missing=""
command -v h2load >/dev/null || missing="$missing nghttp2-client(h2load)"
command -v taskset >/dev/null || missing="$missing util-linux(taskset)"
python3 -c 'import grpc, grpc_tools' 2>/dev/null || missing="$missing pip:grpcio+grpcio-tools"
if [ -n "$profile" ]; then command -v perf >/dev/null || missing="$missing linux-perf"; fi
if [ -n "$callgrind" ]; then command -v valgrind >/dev/null || missing="$missing valgrind"; fi
[ -z "$missing" ] || { echo "missing tools:$missing (scripts/install-deps.sh installs them)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "warning: fewer than 2 CPUs; server and h2load will share a core" >&2
mkdir -p "$results"

xsc_bin="" peer_bin=""
build_xsc() {
    local log="$results/build-xsc.log"
    echo "-- building xsc-bench-server (release)"
    if (cd "$root" && nice -n 10 swift build -c release --product xsc-bench-server) >"$log" 2>&1; then
        xsc_bin="$(cd "$root" && swift build -c release --show-bin-path)/xsc-bench-server"
    else
        echo "SKIPPING xsc-bench-server: it does not build on this branch yet (RPCServer or the"
        echo "generated Bench_V1_BenchHandler missing?). First errors, full log in $log:"
        grep -m 5 '^/.*error:' "$log" | sed 's/^/    /' || tail -n 5 "$log" | sed 's/^/    /'
    fi
}
build_peer() {
    local log="$results/build-grpc-swift-2.log" pkg="$bench_dir/peer-grpc-swift-2"
    echo "-- building the grpc-swift-2 peer server (release; a first build takes several minutes)"
    if nice -n 10 swift build -c release --package-path "$pkg" --scratch-path "$pkg/.build" >"$log" 2>&1; then
        peer_bin="$(swift build -c release --package-path "$pkg" --scratch-path "$pkg/.build" --show-bin-path)/GRPCSwift2BenchServer"
    else
        echo "SKIPPING grpc-swift-2: its build failed; log in $log"
        tail -n 5 "$log" | sed 's/^/    /'
    fi
}
find_built() {  # after --skip-build: use whatever release binaries exist
    local x="$root/.build/release/xsc-bench-server" p="$bench_dir/peer-grpc-swift-2/.build/release/GRPCSwift2BenchServer"
    if [ "$only" != grpc-swift-2 ]; then
        [ -x "$x" ] && xsc_bin=$x || echo "SKIPPING xsc-bench-server: no release build at $x"
    fi
    if [ "$only" != xsc ]; then
        [ -x "$p" ] && peer_bin=$p || echo "SKIPPING grpc-swift-2: no release build at $p"
    fi
}
if [ -n "$skip_build" ]; then
    find_built
else
    [ "$only" = grpc-swift-2 ] || build_xsc
    [ "$only" = xsc ] || build_peer
fi
[ "$only" = grpc-swift-2 ] && xsc_bin=""
[ "$only" = xsc ] && peer_bin=""

servers=()
[ -n "$xsc_bin" ] && servers+=(--server "xsc:$port_base:$xsc_bin")
[ -n "$peer_bin" ] && servers+=(--server "grpc-swift-2:$((port_base + 1)):$peer_bin")
[ ${#servers[@]} -gt 0 ] || { echo "no server to measure" >&2; exit 1; }

if [ -n "$profile" ]; then
    stamp=$(date +%Y%m%d-%H%M%S)
    status=0
    for spec in "${servers[@]}"; do
        [ "$spec" = --server ] && continue
        IFS=: read -r name port binary <<<"$spec"
        "$bench_dir/tools/profile.sh" "$name" "$port" "$binary" "$results/profile-$stamp-$name" $callgrind || status=1
    done
    exit $status
fi

sizes=()
[ -n "$quick" ] && sizes=(--requests 20000 --latency-requests 2000 --warmup 1000)
exec python3 "$bench_dir/tools/driver.py" "${servers[@]}" --rounds "$rounds" "${sizes[@]}" --note "$note"
