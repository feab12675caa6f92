#!/usr/bin/env bash
# TLS at the edge, measured (issue 19; a measurement, not a test): one xsc-bench-server with an
# h2c port and a TLS port (its own test certificate), pinned to CPU 0, h2load pinned to CPU 1,
# bench.v1.Bench/Echo over each in alternating rounds, plus connection set-up (one call per new
# connection). Prints req/s and the server's CPU time per call for both, and the TLS/h2c ratio.
#
#   bench/tls.sh [--skip-build] [--rounds N] [--requests N] [--connections N]
#
# For "did plaintext get slower", compare two builds with bench/tools/driver.py (bench/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_build="" pass=()
while [ $# -gt 0 ]; do
    case $1 in
        --skip-build) skip_build=1 ;;
        --rounds|--requests|--connections) pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n 2,9p "$0"; exit 0 ;;
        *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
cd "$root"
[ -n "$skip_build" ] || nice -n 10 swift build -c release --product xsc-bench-server >&2
exec python3 bench/tools/tls_bench.py --binary "$(swift build -c release --show-bin-path)/xsc-bench-server" "${pass[@]}"
