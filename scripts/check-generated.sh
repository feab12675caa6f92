#!/usr/bin/env bash
# Fails when the committed generated code (Sources/CXSCProto, Sources/Messages/Generated,
# Sources/ServiceAPI/Generated, services/gateway/openapi.json) is not what scripts/generate.sh produces from proto/ now.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$ROOT/scripts/generate.sh" "$tmp" 2>"$tmp.log" || { cat "$tmp.log" >&2; rm -f "$tmp.log"; exit 1; }
rm -f "$tmp.log"

stale=0
for dir in Sources/CXSCProto Sources/Messages/Generated Sources/ServiceAPI/Generated; do
  if ! diff -r -q "$ROOT/$dir" "$tmp/$dir" >"$tmp/diff.txt" 2>&1; then
    stale=1
    echo "STALE: $dir differs from what scripts/generate.sh produces:" >&2
    sed 's/^/  /' "$tmp/diff.txt" >&2
  fi
done
if ! cmp -s "$ROOT/services/gateway/openapi.json" "$tmp/services/gateway/openapi.json"; then
  stale=1
  echo "STALE: services/gateway/openapi.json differs from what scripts/generate.sh produces" >&2
fi
if [ "$stale" -ne 0 ]; then
  echo "Generated code is out of date with proto/ or the generator. Run scripts/generate.sh and commit the result." >&2
  exit 1
fi
echo "check-generated.sh: generated code is up to date."
