#!/usr/bin/env bash
# `make logs`: follows the services' logs (JSON lines), the last XSC_LOG_LINES (default 20) of
# each first. `scripts/logs.sh orders gateway` (or `make logs SERVICES="orders gateway"`) limits
# it to those services. Ctrl-C ends it; the services keep running.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/local-system.sh"

wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=("${XSC_SERVICES[@]}")
files=()
for svc in "${wanted[@]}"; do
    service_index "$svc" >/dev/null
    files+=("$log_dir/$svc.log")
done
[ -d "$log_dir" ] || die "no logs yet in $log_dir: run make up"
exec tail -n "${XSC_LOG_LINES:-20}" -F "${files[@]}"
