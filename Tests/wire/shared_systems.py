"""Whole systems shared by several test modules for the whole pytest session (the fixtures are
in conftest.py: `standard_cluster`, `orders_world`).

Starting a system costs a database, a bootstrap and a process per service; a module that only
*calls* a standard one (kills or restarts no process, sets no environment of its own, and does
not need an empty database) can take a shared one instead. Modules that do any of these keep
their own `Cluster.started(...)`.

A shared system runs on a PostgreSQL server of its own: roles are server-wide, and every
`xsc db-bootstrap` on the common server (most modules run one) gives its services' roles a new
password, which would lock a long-lived system out of every connection it opens afterwards."""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

import wire_support
from cluster_support import Cluster

PG_SCRIPTS = wire_support.REPO_ROOT / "scripts" / "pg"


@contextlib.contextmanager
def private_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server (scripts/pg/start-test-postgres.sh); its superuser URL.
    Stopped and removed on exit."""
    started = subprocess.run([str(PG_SCRIPTS / "start-test-postgres.sh")], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    values = dict(re.findall(r"^export (\w+)='([^']*)'$", started.stdout, re.MULTILINE))
    pid_file = _record_postmaster(Path(values["XSC_PG_DIR"]))
    try:
        yield values["DATABASE_URL"]
    finally:
        subprocess.run([str(PG_SCRIPTS / "stop-test-postgres.sh"), values["XSC_PG_DIR"]], capture_output=True, timeout=120)
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)


def _record_postmaster(folder: Path) -> Path | None:
    """Leaves the server's pid in $XSC_PID_DIR, as ServerProcess does for services, so
    scripts/test-all.sh stops it even if pytest itself dies."""
    pid_dir = os.environ.get("XSC_PID_DIR")
    postmaster = folder / "data" / "postmaster.pid"
    if not pid_dir or not Path(pid_dir).is_dir() or not postmaster.exists():
        return None
    pid = postmaster.read_text().split("\n", 1)[0].strip()
    pid_file = Path(pid_dir) / f"postgres-{pid}.pid"
    pid_file.write_text(pid)
    return pid_file


@contextlib.contextmanager
def shared_system(tmp_path_factory, name: str,
                  services: tuple[str, ...] = ("gateway", "orders", "notifications")) -> Iterator[Cluster]:
    """A Cluster on a private server, for a session-scoped fixture."""
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one and the PostgreSQL binaries)")
    with private_postgres() as superuser_url:
        with Cluster.started(tmp_path_factory.mktemp(name), services=services, superuser_url=superuser_url) as cluster:
            yield cluster
