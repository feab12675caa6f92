# Shared settings and helpers of `make up/down/status/logs` (sourced by scripts/up.sh,
# down.sh, status.sh, logs.sh; not executed).
#
# Everything the local system keeps lives under one state folder (default ./var, gitignored):
#   var/pg/             the embedded PostgreSQL cluster (data/, server.log), unless DATABASE_URL
#                       was given; as root it belongs to the unprivileged user xscpg
#   var/secrets/        actor secret, superuser URL, each service's role password and URL (mode 600)
#   var/run/<svc>.pid   one per running service;  var/run/database  "embedded" or "external"
#   var/log/<svc>.log   each service's JSON log lines (stdout and stderr)
#
# Settings (environment):
#   XSC_STATE_DIR        the state folder (default <repo>/var)
#   XSC_BUILD_CONFIG     debug (default) or release
#   XSC_BIN_DIR          where the binaries are (default <repo>/.build/<config>)
#   XSC_BIND_HOST        address services listen on (default 127.0.0.1: a dev machine, not a server)
#   XSC_RPC_PORT_BASE    gateway's gRPC port, services follow (default 7100: 7100..7106)
#   XSC_ADMIN_PORT_BASE  same for the admin listeners (default 9100: 9100..9106)
#   XSC_HTTP_PORT        the gateway's partner HTTP/1.1 JSON listener (default 7180)
#   XSC_PG_PORT          port of the embedded PostgreSQL when it is first created (default 55432)
#   XSC_PG_DIR           where the embedded cluster lives (default <state>/pg; as root, when the
#                        PostgreSQL user cannot reach that, /var/lib/xsc/pg-<hash of the state folder>)
#   DATABASE_URL         a superuser URL of an existing PostgreSQL: no embedded cluster then

# shellcheck disable=SC2034   # variables are used by the scripts that source this file
XSC_SERVICES=(gateway orders customers proposals notifications settlements campaigns)

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_dir="${XSC_STATE_DIR:-$repo/var}"
mkdir -p "$state_dir"
state_dir="$(cd "$state_dir" && pwd)"
log_dir="$state_dir/log"
run_dir="$state_dir/run"
secrets_dir="$state_dir/secrets"
# As root the cluster belongs to an unprivileged user who may not reach ./var (a clone under
# /root); up.sh then puts it under /var/lib/xsc and remembers where in var/pg-location.
if [ -n "${XSC_PG_DIR:-}" ]; then
    pg_dir="$XSC_PG_DIR"
elif [ -s "$state_dir/pg-location" ]; then
    pg_dir="$(cat "$state_dir/pg-location")"
else
    pg_dir="$state_dir/pg"
fi
build_config="${XSC_BUILD_CONFIG:-debug}"
bin_dir="${XSC_BIN_DIR:-$repo/.build/$build_config}"
bind_host="${XSC_BIND_HOST:-127.0.0.1}"
rpc_port_base="${XSC_RPC_PORT_BASE:-7100}"
admin_port_base="${XSC_ADMIN_PORT_BASE:-9100}"
# Clients reach services listening on all interfaces through the loopback address.
client_host="$bind_host"
case "$client_host" in 0.0.0.0|"") client_host=127.0.0.1 ;; "::"|"[::]") client_host="[::1]" ;; esac

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

service_index() {
    local i
    for i in "${!XSC_SERVICES[@]}"; do
        [ "${XSC_SERVICES[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    die "unknown service $1"
}
rpc_port() { echo $(( rpc_port_base + $(service_index "$1") )); }
admin_port() { echo $(( admin_port_base + $(service_index "$1") )); }
binary_of() { echo "$bin_dir/xsc-$1"; }

# The pid of a running service, or nothing: the pid file must name a live process whose first
# argument is this service's binary (a stale file whose pid was reused is ignored).
service_pid() {
    local pid_file="$run_dir/$1.pid" pid arg0
    [ -f "$pid_file" ] || return 0
    pid="$(cat "$pid_file" 2>/dev/null || true)"
    case "$pid" in ''|*[!0-9]*) return 0 ;; esac
    [ -r "/proc/$pid/cmdline" ] || return 0
    arg0="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n 1)"
    case "$arg0" in
        */xsc-"$1"|xsc-"$1") echo "$pid" ;;
        # Just started: `env ... setsid <binary>` has not reached its exec yet (seen under load:
        # up.sh took a starting service for one that had exited).
        env|*/env|setsid|*/setsid)
            tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qE "(^|/)xsc-$1\$" && echo "$pid" ;;
    esac
}

# One HTTP/1.1 GET on the admin listener; prints the status code (or "down").
admin_status() {
    local port="$1" path="$2" line
    line="$( (exec 3<>"/dev/tcp/$client_host/$port" || exit 1
              printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
              timeout 3 head -n 1 <&3) 2>/dev/null || true)"
    line="${line%$'\r'}"
    if [ -n "$line" ]; then echo "${line#HTTP/1.1 }" | cut -d' ' -f1; else echo down; fi
}

health_targets() {
    local svc
    for svc in "${XSC_SERVICES[@]}"; do printf '%s:%s ' "$client_host" "$(rpc_port "$svc")"; done
}

# --- the embedded PostgreSQL -----------------------------------------------------------------
. "$repo/scripts/pg/common.sh"

pg_embedded_exists() { [ -f "$pg_dir/data/PG_VERSION" ]; }
pg_embedded_running() {
    pg_embedded_exists && pg_as_owner "$pg_dir" "$PG_BIN/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1
}
pg_embedded_port() { sed -n "s/^port = \([0-9]*\)$/\1/p" "$pg_dir/data/postgresql.auto.conf" 2>/dev/null; }
