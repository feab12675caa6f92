#!/usr/bin/env bash
# Installs what building and testing XSC needs on Debian 12: the three C libraries with their
# code generators, PostgreSQL (for the throwaway test cluster), h2load and valgrind from apt, and
# the Python packages of the wire tests from PyPI.
#
# Idempotent and fast when everything is present: apt is only touched (one `apt-get update`, then
# one install) when a package is missing. Works as root, or through sudo otherwise.
set -euo pipefail

APT_PACKAGES=(
    pkg-config
    libnghttp2-dev
    libprotobuf-c-dev
    protobuf-c-compiler
    protobuf-compiler
    libprotobuf-dev     # google/protobuf/*.proto for scripts/generate.sh
    binutils            # objcopy, for scripts/leak-check.sh
    nghttp2-client      # h2load, for the benchmark
    libpq-dev
    libssl-dev          # TLS of the HTTPS SMS gateway provider
    openssl             # test certificates (Tests/wire/test_sms_https.py, test_tls_edge.py)
    curl                # curl --http2 over TLS to the gateway (Tests/wire/test_tls_edge.py)
    postgresql-15       # initdb/pg_ctl for the throwaway test cluster and `make up`
    valgrind            # leak checks of the protobuf-c conversions
    libcairo2-dev       # settlements' printed statements (Sources/CCairo, Sources/PDF)
    libpango1.0-dev
    fonts-noto-cjk      # the Chinese font the statement PDF embeds
    poppler-utils       # pdftotext/pdffonts/pdftoppm in the statement PDF tests
    chromium            # the staff pages in a real browser (Tests/wire/test_board_web.py, bench/board.py)
    chromium-driver     # chromedriver, which selenium drives it through
)

# Versions pinned to ones known to install together on Python 3.11 (grpcio-tools pulls a
# matching protobuf).
PIP_PACKAGES=(
    "grpcio==1.85.1"
    "grpcio-tools==1.85.1"
    "grpcio-health-checking==1.85.1"
    "grpcio-reflection==1.85.1"
    "h2==4.4.1"
    "pytest==9.0.3"
    "pytest-xdist==3.8.0"   # make test runs the wire modules on several workers
    "PyYAML==6.0.3"     # Tests/wire/test_compose.py reads docker-compose.yml
    "kubernetes-validate==1.37.0"   # Tests/wire/test_kubernetes.py: deploy/kubernetes against the schemas
    "pexpect==4.8.0"    # Tests/wire/test_cli_people.py drives `xsc` through a pseudo-terminal
    "requests==2.34.2"              # Tests/wire/test_gateway_http.py: the partner HTTP/JSON API over HTTP/1.1
    "openapi-spec-validator==0.9.0" # test_gateway_http.py: services/gateway/openapi.json is valid OpenAPI 3.1
    "selenium==4.51.0"              # Tests/wire/test_board_web.py, bench/board.py: headless Chromium
)

# schemathesis (test_gateway_http.py: a bounded run against the live gateway) pins pytest below 9,
# so it lives in a virtual environment of its own; the test finds it at the same path.
# Every package of that environment is pinned in scripts/schemathesis-requirements.txt: a fresh
# resolve picks releases schemathesis 3.39 breaks with (hypothesis 6.170: "'many' object has no
# attribute 'more'").
SCHEMATHESIS_PIN="schemathesis==3.39.16"
SCHEMATHESIS_WITH=("hypothesis==6.155.2")
SCHEMATHESIS_REQUIREMENTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/schemathesis-requirements.txt"
SCHEMATHESIS_VENV="${XSC_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xsc-tools}/schemathesis"

log() { printf 'install-deps: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root (or sudo) to run: $*"
        return 1
    fi
}

missing_apt_packages() {
    local pkg status
    for pkg in "${APT_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = "installed" ] || printf '%s\n' "$pkg"
    done
}

install_apt() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        log "not a Debian system: install these yourself: ${APT_PACKAGES[*]}"
        return 0
    fi
    local missing
    mapfile -t missing < <(missing_apt_packages)
    if [ "${#missing[@]}" -eq 0 ]; then
        log "apt packages: all present"
        return 0
    fi
    log "apt packages missing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

python_has_packages() {
    # Compares installed distributions with the pins; any mismatch means "install".
    python3 - "${PIP_PACKAGES[@]}" <<'PY'
import sys
from importlib import metadata
for pin in sys.argv[1:]:
    name, _, version = pin.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PY
}

install_pip() {
    if ! command -v python3 >/dev/null 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3 python3-pip
    fi
    if python_has_packages; then
        log "python packages: all present"
        return 0
    fi
    log "installing python packages: ${PIP_PACKAGES[*]}"
    local flags=(--quiet --disable-pip-version-check)
    # Debian's system python refuses global installs (PEP 668); a pyenv/venv python does not.
    if python3 -m pip install --help 2>/dev/null | grep -q -- '--break-system-packages'; then
        if python3 -c 'import sys; sys.exit(0 if sys.prefix == sys.base_prefix and sys.prefix.startswith("/usr") else 1)'; then
            flags+=(--break-system-packages)
        fi
    fi
    if [ "$(id -u)" -ne 0 ] && ! python3 -c 'import sys; sys.exit(0 if sys.prefix != sys.base_prefix else 1)'; then
        # Not root and not in a venv: a user install needs no privileges.
        python3 -c 'import os, site, sys; sys.exit(0 if os.access(site.getsitepackages()[0], os.W_OK) else 1)' \
            || flags+=(--user)
    fi
    python3 -m pip install "${flags[@]}" "${PIP_PACKAGES[@]}"
}

install_schemathesis() {
    local want="${SCHEMATHESIS_PIN#*==}" have=""
    if [ -x "$SCHEMATHESIS_VENV/bin/python" ]; then
        have="$("$SCHEMATHESIS_VENV/bin/python" -c 'from importlib import metadata; print(metadata.version("schemathesis"))' 2>/dev/null || true)"
    fi
    if [ "$have" = "$want" ] && "$SCHEMATHESIS_VENV/bin/python" -c 'import sys; from importlib import metadata
sys.exit(0 if all(metadata.version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:]) else 1)' "${SCHEMATHESIS_WITH[@]}" 2>/dev/null; then
        log "schemathesis $want: present in $SCHEMATHESIS_VENV"
        return 0
    fi
    log "installing $SCHEMATHESIS_PIN into $SCHEMATHESIS_VENV"
    if ! python3 -m venv --clear "$SCHEMATHESIS_VENV" 2>/dev/null; then
        # Debian's own python3 needs its venv module from apt.
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
        python3 -m venv --clear "$SCHEMATHESIS_VENV"
    fi
    "$SCHEMATHESIS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$SCHEMATHESIS_REQUIREMENTS"
}

install_apt
install_pip
install_schemathesis
