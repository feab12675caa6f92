#!/usr/bin/env bash
# Runs the generated-message encode/decode loops (ProtoCodecTests.LeakLoopTests) and the TLS
# session's loops (TLSTests.TLSLeakLoopTests: OpenSSL contexts, connections, failed handshakes)
# and statement PDFs (SettlementsTests.PDFLeakLoopTests; cairo's and fontconfig's own leaks are
# suppressed by scripts/valgrind/cairo-pango.supp, which says why) under valgrind and fails on any "definitely lost" block. First proves the check can fail: the
# protobuf test with XSC_LEAK_CHECK_SELFTEST=1 leaks on purpose and must be caught.
# Usage: scripts/leak-check.sh [ITERATIONS]   (default 200; about 15 s on this machine)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ITERATIONS="${1:-200}"
cd "$ROOT"

nice swift build --build-tests >&2
bin="$(swift build --show-bin-path)/xscPackageTests.xctest"
# valgrind 3.19 cannot read the DWARF 5 the Swift toolchain emits; symbols are enough.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
objcopy --strip-debug "$bin" "$work/tests"

run() {
  valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
    --suppressions="$ROOT/scripts/valgrind/xctest-harness.supp" \
    --suppressions="$ROOT/scripts/valgrind/cairo-pango.supp" \
    "$work/tests" "${1:-ProtoCodecTests.LeakLoopTests}" >"$work/valgrind.log" 2>&1
}

echo "leak-check: self-test (an intentional leak must be reported)..."
if XSC_LEAK_LOOP_ITERATIONS=2 XSC_LEAK_CHECK_SELFTEST=1 run; then
  echo "leak-check: FAILED - valgrind did not report the intentional leak; the check is blind" >&2
  exit 1
fi
grep -q "definitely lost" "$work/valgrind.log" || { cat "$work/valgrind.log" >&2; exit 1; }

echo "leak-check: $ITERATIONS iterations of every-feature encode/decode under valgrind..."
if ! XSC_LEAK_LOOP_ITERATIONS="$ITERATIONS" run; then
  grep -A30 "definitely lost in loss record\|Invalid\|uninitialised" "$work/valgrind.log" >&2 || cat "$work/valgrind.log" >&2
  echo "leak-check: FAILED - memory leaked or misused (see above)" >&2
  exit 1
fi
grep -E "definitely lost|ERROR SUMMARY|Executed .* tests" "$work/valgrind.log" | sed 's/^/  /'

# Each iteration loads the system's CA store (slow under valgrind): 10 are plenty.
echo "leak-check: 10 iterations of the TLS session's allocation paths under valgrind..."
if ! XSC_LEAK_LOOP_ITERATIONS=10 run TLSTests.TLSLeakLoopTests; then
  grep -A30 "definitely lost in loss record\|Invalid\|uninitialised" "$work/valgrind.log" >&2 || cat "$work/valgrind.log" >&2
  echo "leak-check: FAILED - memory leaked or misused in the TLS session (see above)" >&2
  exit 1
fi
grep -E "definitely lost|ERROR SUMMARY|Executed .* tests" "$work/valgrind.log" | sed 's/^/  /'
# The first document loads fonts (slow under valgrind); three show a per-document leak.
echo "leak-check: 3 statement PDFs (cairo + Pango wrapper) under valgrind..."
if ! XSC_LEAK_LOOP_ITERATIONS=3 run SettlementsTests.PDFLeakLoopTests; then
  grep -A30 "definitely lost in loss record\|Invalid\|uninitialised" "$work/valgrind.log" >&2 || cat "$work/valgrind.log" >&2
  echo "leak-check: FAILED - memory leaked or misused in the PDF wrapper (see above)" >&2
  exit 1
fi
grep -E "definitely lost|suppressed:|ERROR SUMMARY|Executed .* tests" "$work/valgrind.log" | sed 's/^/  /'
echo "leak-check: OK - no definitely lost blocks"
