#!/usr/bin/env bash
# Prints the cost of decoding + encoding the benchmark's bench.v1.Order through the generated
# Swift/protobuf-c conversions, built in release. Not a test: no thresholds.
set -euo pipefail
cd "$(dirname "$0")/.."
XSC_CODEC_BENCH=1 nice swift test -c release -Xswiftc -enable-testing \
  --filter ProtoCodecTests.CodecBenchmark/testEchoOrderCodecCost 2>&1 | grep -E "bench.v1.Order|error:|failed"
