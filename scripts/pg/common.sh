# Shared helpers for the throwaway test PostgreSQL scripts (sourced, not executed).
# Needs the Debian package postgresql-15 (binaries in /usr/lib/postgresql/15/bin).

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

pg_die() { echo "pg: $*" >&2; exit 1; }

pg_require_binaries() {
    for b in initdb pg_ctl postgres; do
        [ -x "$PG_BIN/$b" ] || pg_die "missing $PG_BIN/$b (apt-get install postgresql-15)"
    done
}

# PostgreSQL refuses to run as root, so as root the cluster belongs to an unprivileged system
# user (XSC_PG_USER, default xscpg, created on first use). As anybody else it is the caller.
pg_cluster_user() {
    if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
    local user="${XSC_PG_USER:-xscpg}"
    if ! id -u "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" \
            || pg_die "cannot create system user $user"
    fi
    echo "$user"
}

# Runs a command as the owner of the cluster folder $1 (only changes user when we are root).
pg_as_owner() {
    local dir="$1"; shift
    if [ "$(id -u)" -eq 0 ]; then
        local owner
        owner="$(stat -c %U "$dir")"
        if [ "$owner" != "root" ]; then
            runuser -u "$owner" -- "$@"
            return
        fi
    fi
    "$@"
}

# Accepts the cluster folder or its data/ subfolder; prints the cluster folder.
pg_cluster_dir() {
    local dir="${1:-${XSC_PG_DIR:-}}"
    [ -n "$dir" ] || pg_die "no cluster folder given (argument or XSC_PG_DIR)"
    [ -f "$dir/PG_VERSION" ] && dir="$(dirname "$dir")"
    [ -f "$dir/data/PG_VERSION" ] || pg_die "$dir is not a test cluster folder (no data/PG_VERSION)"
    (cd "$dir" && pwd)
}
