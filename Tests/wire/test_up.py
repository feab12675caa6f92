"""`make up` end to end: scripts/up.sh brings up an embedded PostgreSQL and all six services,
every one answers a grpcio health check and its admin listener, a second run is a no-op,
`make status` agrees, and scripts/down.sh stops everything.

Runs the real script with a temporary state folder and free ports, so it never touches ./var
or a system already running on 7100-7105. It uses the binaries already built ($XSC_BIN_DIR,
XSC_SKIP_BUILD=1) and ignores any DATABASE_URL, so the embedded-cluster path is what runs.
"""
from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import wire_support

REPO = wire_support.REPO_ROOT
SERVICES = ["gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns"]
# Liveness bounds for a loaded 2-core machine (initdb included), not performance assertions.
UP_TIMEOUT_S = 300
DOWN_TIMEOUT_S = 120


def ports_free(first: int, count: int) -> bool:
    for port in range(first, first + count):
        with socket.socket() as s:
            # As our servers bind (SO_REUSEADDR): a server-side TIME_WAIT left by a peer's
            # connection (the gateway probes every backend's health) does not keep a port taken.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port_run(count: int, avoid: set[int]) -> int:
    """The first of `count` consecutive free ports (ports in `avoid` excluded)."""
    for _ in range(200):
        # Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 on Debian): a port
        # found free there can be taken by any outgoing connection on the machine (another test
        # worker's client, a gateway's health probe) before up.sh binds it.
        first = random.randrange(20000, 32000 - count)
        if not avoid & set(range(first, first + count)) and ports_free(first, count):
            return first
    raise RuntimeError(f"no {count} consecutive free ports found")


class LocalSystem:
    def __init__(self):
        # World-traversable, so that as root the PostgreSQL user (xscpg) reaches its folder.
        self.state_dir = Path(tempfile.mkdtemp(prefix="xsc-up-test-"))
        self.state_dir.chmod(0o755)
        self.rpc_base = free_port_run(len(SERVICES), set())
        self.admin_base = free_port_run(len(SERVICES), set(range(self.rpc_base, self.rpc_base + len(SERVICES))))
        taken = set(range(self.rpc_base, self.rpc_base + len(SERVICES))) | set(range(self.admin_base, self.admin_base + len(SERVICES)))
        self.pg_port = free_port_run(1, taken)
        self.http_port = free_port_run(1, taken | {self.pg_port})
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({
            "XSC_STATE_DIR": str(self.state_dir),
            "XSC_RPC_PORT_BASE": str(self.rpc_base),
            "XSC_ADMIN_PORT_BASE": str(self.admin_base),
            "XSC_PG_PORT": str(self.pg_port),
            "XSC_HTTP_PORT": str(self.http_port),  # the gateway's partner HTTP/1.1 listener
            "XSC_BIN_DIR": str(wire_support.bin_dir()),
            "XSC_SKIP_DEPS": "1",
            "XSC_SKIP_BUILD": "1",
        })
        env.pop("XSC_PG_DIR", None)
        env.pop("XSC_ACTOR_SECRET", None)
        self.env = env

    def rpc_address(self, name: str) -> str:
        return f"127.0.0.1:{self.rpc_base + SERVICES.index(name)}"

    def admin_url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.admin_base + SERVICES.index(name)}{path}"

    def script(self, name: str, *args: str, timeout: float = UP_TIMEOUT_S) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / "scripts" / name), *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout)

    def service_pids(self) -> dict[str, int]:
        run = self.state_dir / "run"
        return {name: int((run / f"{name}.pid").read_text()) for name in SERVICES if (run / f"{name}.pid").exists()}

    def record_pids_for_cleanup(self) -> None:
        """Lets scripts/test-all.sh stop the services if pytest itself dies before down.sh."""
        pid_dir = os.environ.get("XSC_PID_DIR")
        if not pid_dir:
            return
        for name, pid in self.service_pids().items():
            Path(pid_dir, f"up-{name}-{pid}.pid").write_text(str(pid))

    def superuser_psql(self, sql: str) -> subprocess.CompletedProcess:
        url = (self.state_dir / "secrets" / "pg-superuser.url").read_text().strip()
        return psql(url, sql)

    def service_psql(self, name: str, sql: str) -> subprocess.CompletedProcess:
        return psql((self.state_dir / "secrets" / f"{name}.database-url").read_text().strip(), sql)


def psql(url: str, sql: str) -> subprocess.CompletedProcess:
    binary = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    return subprocess.run([binary, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          capture_output=True, text=True, timeout=60)


def pid_alive(pid: int) -> bool:
    """True while the process runs. An exited process that its new parent (whoever adopted the
    detached services) has not reaped yet is a zombie: it counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.fixture(scope="module")
def system():
    local = LocalSystem()
    try:
        local.up = local.script("up.sh")
        local.record_pids_for_cleanup()
        yield local
    finally:
        down = local.script("down.sh", "--purge", timeout=DOWN_TIMEOUT_S)
        shutil.rmtree(local.state_dir, ignore_errors=True)
        assert down.returncode == 0, down.stdout + down.stderr


def test_up_succeeds_and_prints_endpoints_and_a_first_call(system):
    assert system.up.returncode == 0, system.up.stdout + system.up.stderr
    for name in SERVICES:
        assert system.rpc_address(name) in system.up.stdout
        assert system.admin_url(name, "") in system.up.stdout
    assert f"grpcurl -plaintext {system.rpc_address('gateway')} list" in system.up.stdout
    assert "xsc health" in system.up.stdout


@pytest.mark.parametrize("name", SERVICES)
def test_grpcio_health_check_is_serving(system, name):
    with grpc.insecure_channel(system.rpc_address(name)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        response = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as unknown:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=10)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("name", SERVICES)
def test_reflection_lists_the_health_service(system, name):
    with grpc.insecure_channel(system.rpc_address(name)) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
        names = {s.name for s in answer.list_services_response.service}
        assert "grpc.health.v1.Health" in names


@pytest.mark.parametrize("name", SERVICES)
def test_admin_listener_answers_healthz_readyz_and_metrics(system, name):
    for path in ("/healthz", "/readyz"):
        with urllib.request.urlopen(system.admin_url(name, path), timeout=10) as response:
            assert response.status == 200
    with urllib.request.urlopen(system.admin_url(name, "/metrics"), timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    assert 'xsc_db_pool_connections{state="idle"}' in text


def test_each_service_is_connected_as_its_own_role(system):
    rows = system.superuser_psql(
        "SELECT DISTINCT application_name || '=' || usename FROM pg_stat_activity "
        "WHERE application_name LIKE 'xsc-%' AND application_name <> 'xsc-db-bootstrap'")
    assert rows.returncode == 0, rows.stderr
    assert set(rows.stdout.split()) == {f"xsc-{name}={name}" for name in SERVICES}


def test_migrations_ran_and_roles_cannot_cross_schemas(system):
    for name in SERVICES:
        mine = system.service_psql(name, "SELECT service FROM service_info")
        assert mine.returncode == 0, mine.stderr
        assert mine.stdout.strip() == name
        platform = system.service_psql(name, "SELECT count(*) FROM xsc_outbox")
        assert platform.returncode == 0, f"ServiceKitStore's tables in {name}: {platform.stderr}"
    other = system.service_psql("orders", "SELECT service FROM gateway.service_info")
    assert other.returncode != 0 and "permission denied" in other.stderr


def test_second_up_reports_already_up_and_starts_nothing(system):
    before = system.service_pids()
    again = system.script("up.sh")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already up" in again.stdout
    assert system.service_pids() == before


def test_status_shows_every_service_serving(system):
    status = system.script("status.sh")
    assert status.returncode == 0, status.stdout + status.stderr
    for name in SERVICES:
        line = next(l for l in status.stdout.splitlines() if l.startswith(name + " "))
        assert "SERVING" in line and "200" in line


def test_a_killed_service_is_restarted_by_the_next_up(system):
    pid = system.service_pids()["customers"]
    os.kill(pid, 9)
    status = system.script("status.sh")
    assert status.returncode != 0 and "not running" in status.stdout
    again = system.script("up.sh")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "customers: started" in again.stdout
    new_pid = system.service_pids()["customers"]
    assert new_pid != pid
    system.record_pids_for_cleanup()


def test_a_service_whose_binary_is_newer_than_its_process_is_restarted(system):
    """After a rebuild, `make up` replaces the processes running the old binaries. (The pid file
    is aged instead of the binary touched: the build folder is shared.)"""
    pids = system.service_pids()
    pid_file = system.state_dir / "run" / "proposals.pid"
    os.utime(pid_file, (0, 0))
    again = system.script("up.sh")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "proposals: rebuilt since it started: restarting" in again.stdout
    after = system.service_pids()
    assert after["proposals"] != pids["proposals"] and not pid_alive(pids["proposals"])
    assert {k: v for k, v in after.items() if k != "proposals"} == {k: v for k, v in pids.items() if k != "proposals"}
    system.record_pids_for_cleanup()


def test_down_stops_everything_and_up_brings_it_back_with_its_data(system):
    pids = system.service_pids()
    created = system.service_psql("orders", "SELECT created_at FROM service_info").stdout.strip()
    down = system.script("down.sh", timeout=DOWN_TIMEOUT_S)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not any(pid_alive(pid) for pid in pids.values())
    for name in SERVICES:
        assert ports_free(system.rpc_base + SERVICES.index(name), 1)
    status = system.script("status.sh")
    assert status.returncode != 0 and "PostgreSQL: stopped" in status.stdout

    again = system.script("up.sh")
    assert again.returncode == 0, again.stdout + again.stderr
    system.record_pids_for_cleanup()
    assert system.service_psql("orders", "SELECT created_at FROM service_info").stdout.strip() == created


def test_first_run_prints_the_hq_admin_once_and_seed_drill_logs_in_with_it(system):
    # (gateway helper) up.sh made the hq_admin password, the gateway created the admin with it.
    assert "First run: hq_admin phone 13800000000, password" in system.up.stdout
    password = (system.state_dir / "secrets" / "hq-admin-password").read_text().strip()
    assert password in system.up.stdout
    env = {**system.env, "XSC_ADMIN_PASSWORD": password}
    seed = subprocess.run([str(wire_support.binary("xsc")), "seed-drill", "--gateway", system.rpc_address("gateway")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert seed.returncode == 0, seed.stdout + seed.stderr
    assert "/hq/cq/cq-o1/cq-o1-d3/t7" in seed.stdout and "shown once: xsc_pk_" in seed.stdout
    again = system.script("up.sh")
    assert again.returncode == 0 and "First run" not in again.stdout
